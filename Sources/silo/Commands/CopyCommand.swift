import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy snapshots to (or from) another repository, sending only the chunks it lacks.",
        discussion: """
            With --to, the repository of -r/SILO_REPOSITORY is the source; with --from, it is the \
            destination. Snapshots already copied are skipped, so running the same copy again sends \
            only new snapshots, and an interrupted copy resumes where it stopped. The other \
            repository's password comes from --to-password-file/--from-password-file, \
            SILO_TO_PASSWORD/SILO_FROM_PASSWORD, or a terminal prompt.

            Examples:
              silo copy --to s3:https://s3.eu-west-1.amazonaws.com/bucket/offsite
              silo copy --from /mnt/old-repo --host web1
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Option(name: .long, help: "Destination repository (the main repository is the source).")
    var to: String?

    @Option(name: .long, help: "Source repository (the main repository is the destination).")
    var from: String?

    @Option(name: .long, help: "Read the destination's password from this file (or SILO_TO_PASSWORD).")
    var toPasswordFile: String?

    @Option(name: .long, help: "Read the source's password from this file (or SILO_FROM_PASSWORD).")
    var fromPasswordFile: String?

    @Argument(help: "Snapshots to copy: IDs, ID prefixes or latest (default: all, narrowed by --host/--path/--tag).")
    var snapshots: [String] = []

    func validate() throws {
        guard (to == nil) != (from == nil) else { throw ValidationError("give exactly one of --to REPO and --from REPO") }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let (source, destination) = try openRepositories()
            let copier = try SnapshotCopier(from: source, to: destination)
            defer { copier.release() }
            if copier.chunkingDiffers {
                output.warning("the two repositories cut chunks differently (another chunker seed or profile): copied data will not deduplicate against backups made directly into \(destination.store.location); create the destination with `silo init --copy-chunker-params-from SOURCE` to avoid this")
            }
            let wanted = try selectSnapshots(in: source)
            let (toCopy, present) = copier.plan(wanted)
            for (from, to) in present {
                output.line("snapshot \(from.shortHex) is already in the destination as \(to.shortHex)")
                output.emit(CopySkippedMessage(snapshotId: from.hex, destinationId: to.hex))
            }
            let started = Date()
            // A snapshot whose data is damaged is named and left behind; the intact ones are
            // still copied: after a disaster the off-site copy should hold all that can be saved.
            var damaged: [SnapshotID] = []
            for (id, snapshot) in toCopy {
                let before = copier.totals
                let copied: SnapshotID
                do {
                    copied = try copier.copy(id, snapshot)
                } catch let error as RepositoryError where error.code == .integrity {
                    damaged.append(id)
                    output.error("snapshot \(id.shortHex) of \(Format.date(snapshot.date)) was not copied: \(error.message)")
                    output.emit(NotCopiedMessage(snapshotId: id.hex, reason: error.message))
                    continue
                }
                let sent = copier.totals.storedBytesSent - before.storedBytesSent
                output.line("snapshot \(id.shortHex) of \(Format.date(snapshot.date)) copied as \(copied.shortHex): \(copier.totals.blobsSent - before.blobsSent) blobs, \(Format.bytes(sent)) sent")
                output.emit(CopiedMessage(snapshotId: id.hex, destinationId: copied.hex, blobsSent: copier.totals.blobsSent - before.blobsSent, bytesSent: sent))
            }
            let totals = copier.totals
            let seconds = Date().timeIntervalSince(started)
            output.line("copied \(toCopy.count - damaged.count) snapshot(s), skipped \(present.count)" + (damaged.isEmpty ? "" : ", \(damaged.count) not copied (damaged)") + ": \(totals.blobsSent) blobs, \(Format.bytes(totals.rawBytesSent)) of data sent as \(Format.bytes(totals.storedBytesSent)) in \(String(format: "%.2f", seconds)) s")
            output.emit(CopySummaryMessage(snapshotsCopied: toCopy.count - damaged.count, snapshotsSkipped: present.count,
                                           snapshotsNotCopied: damaged.map(\.hex), blobsSent: totals.blobsSent, dataSent: totals.rawBytesSent,
                                           dataSentStored: totals.storedBytesSent, chunksRead: totals.chunksRead,
                                           chunkingDiffers: copier.chunkingDiffers, durationSeconds: seconds,
                                           storageRequests: StoreFactory.requestCount(source.store, destination.store)))
            return damaged.isEmpty ? ExitCodes.success : ExitCodes.integrity
        }
    }

    private func openRepositories() throws -> (source: Repository, destination: Repository) {
        let main = try global.openRepository()
        if let to {
            return (main, try global.openOtherRepository(to, passwordFile: toPasswordFile, variable: "SILO_TO_PASSWORD", option: "--to-password-file"))
        }
        return (try global.openOtherRepository(from!, passwordFile: fromPasswordFile, variable: "SILO_FROM_PASSWORD", option: "--from-password-file"), main)
    }

    private func selectSnapshots(in source: Repository) throws -> [(id: SnapshotID, snapshot: Snapshot)] {
        let selector = filter.selector
        if snapshots.isEmpty { return selector.filter(try source.snapshots()) }
        var chosen: [(id: SnapshotID, snapshot: Snapshot)] = []
        for reference in snapshots {
            let found = try selector.resolve(reference, in: source)
            if !chosen.contains(where: { $0.id == found.id }) { chosen.append(found) }
        }
        return chosen.sorted { $0.snapshot.time < $1.snapshot.time }
    }
}
