import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloLegacy
import SiloRepository
import SiloStorage

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a snapshot, or paths of it, as a .tar, .tar.gz or .tar.zst archive (pax format).",
        discussion: Help.examples(["silo export latest -o /tmp/latest.tar.gz", "silo export latest /etc -o - | tar -tvf -"]))

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshot: ID, ID prefix, or latest.")
    var snapshot: String

    @Argument(help: "Paths inside the snapshot (default: everything).")
    var paths: [String] = []

    @Option(name: [.short, .long], help: ArgumentHelp("Archive to write, or - for standard output.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: "tar, tar.gz or tar.zst (default: from the file name; tar.gz for -).")
    var format: String?

    @Option(name: .long, help: "gzip compression threads (more than 1 writes one gzip member per MiB, which gzip and tar read).")
    var gzipThreads = 1

    @Option(name: .long, help: "gzip level 1-9.")
    var gzipLevel = 6

    @Flag(name: .long, help: "The platform's old layout: o4o_backup_<time>/… named o4o_backup_<time>.tar.gz (an imported snapshot keeps its own layout and name).")
    var legacyLayout = false

    func validate() throws {
        if output == nil && !legacyLayout { throw ValidationError("give -o FILE (or - for standard output)") }
        if let format, !["tar", "tar.gz", "tgz", "tar.zst"].contains(format) { throw ValidationError("--format is tar, tar.gz or tar.zst") }
        if gzipThreads < 1 || gzipThreads > 64 { throw ValidationError("--gzip-threads must be 1 to 64") }
        if !(1...9).contains(gzipLevel) { throw ValidationError("--gzip-level must be 1 to 9") }
    }

    func run() throws {
        let out = global.output
        try runCommand(out) {
            let started = Date()
            let repository = try global.openRepository()
            let (id, snap) = try filter.selector.resolve(snapshot, in: repository)
            var options = ExportOptions()
            options.paths = paths
            var target = output
            if legacyLayout {
                if let origin = snap.origin {
                    target = target ?? origin
                } else {
                    let formatter = DateFormatter()
                    formatter.locale = Locale(identifier: "en_US_POSIX")
                    formatter.dateFormat = "yyyyMMdd_HHmmss"
                    let name = "o4o_backup_" + formatter.string(from: snap.date)
                    options.prefix = Array(name.utf8)
                    target = target ?? name + ".tar.gz"
                }
            }
            guard let target else { throw RepositoryError(.invalidArgument, "give -o FILE") }
            let kind = format ?? (target.hasSuffix(".tar.zst") || target.hasSuffix(".tzst") ? "tar.zst"
                                  : target.hasSuffix(".tar") ? "tar" : "tar.gz")

            // A file is written under a temporary name and renamed when complete: a failed export
            // never leaves a truncated archive that looks whole.
            let toStdout = target == "-"
            let temporary = toStdout ? "" : target + ".silo-partial-\(getpid())"
            let fd = toStdout ? STDOUT_FILENO : open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RepositoryError(.invalidArgument, "cannot create \(target): \(String(cString: strerror(errno)))") }
            if !toStdout && access(target, F_OK) == 0 {
                close(fd)
                unlink(temporary)
                throw RepositoryError(.invalidArgument, "cannot write \(target): it exists; remove it or choose another name")
            }
            // SIGINT or SIGTERM: the partial archive goes too (it is this command's temporary file).
            let cleanup = toStdout ? nil : InterruptCleanup.shared.register(.temporaries) { _ = unlink(temporary) }
            defer { InterruptCleanup.shared.unregister(cleanup) }
            let file = DescriptorSink(descriptor: fd, name: toStdout ? "standard output" : target)
            let summary: ExportSummary
            do {
                let sink: ByteSink
                switch kind {
                case "tar": sink = file
                case "tar.zst": sink = try ZstdSink(file, threads: gzipThreads)
                default: sink = try GzipSink(file, level: gzipLevel, threads: gzipThreads)
                }
                summary = try SnapshotExporter(repository: repository, snapshot: snap, options: options).run(to: sink)
                if !toStdout {
                    guard fsync(fd) == 0, close(fd) == 0 else { throw RepositoryError(.storage, "cannot write \(target): \(String(cString: strerror(errno)))") }
                    // link() refuses an existing name: an export never replaces a file (an original archive!).
                    guard link(temporary, target) == 0 else {
                        let reason = errno == EEXIST ? "it exists; remove it or choose another name" : String(cString: strerror(errno))
                        throw RepositoryError(.invalidArgument, "cannot write \(target): \(reason)")
                    }
                    unlink(temporary)
                }
            } catch {
                if !toStdout {
                    close(fd)
                    unlink(temporary)
                }
                throw error
            }
            let seconds = Date().timeIntervalSince(started)
            let message = String(format: "exported snapshot %@: %d members, %@ of content, %@ written in %.2f s",
                                 id.shortHex, summary.members, Format.bytes(summary.contentBytes), Format.bytes(file.bytesWritten), seconds)
            if toStdout { FileHandle.standardError.write(Data((message + "\n").utf8)) } else { out.line(message + " to " + target) }
            out.emit(ExportSummaryMessage(snapshotId: id.hex, file: target, format: kind, members: summary.members,
                                          contentBytes: summary.contentBytes, archiveBytes: file.bytesWritten, durationSeconds: seconds),
                     to: toStdout ? STDERR_FILENO : STDOUT_FILENO)
            return ExitCodes.success
        }
    }
}
