import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloLegacy
import SiloRepository

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import .tar, .tar.gz, .tar.zst (and openssl-enc encrypted) archives as snapshots, one per archive, oldest first.",
        discussion: Help.examples(["silo import /srv/old-backups/ --host web1", "silo import o4o_backup_20250129_120000.tar.gz.enc --legacy-password-file /root/legacy.txt"]))

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Archives, or directories of them.")
    var archives: [String]

    @Option(name: .long, help: "Snapshot time (default: from the name, e.g. o4o_backup_20250129_120000, else the newest member's mtime).")
    var time: String?

    @Option(name: .long, help: "Host name to record (default: this machine's).")
    var host: String?

    @Option(name: .long, help: "Extra tag (repeatable); `imported` is always added.")
    var tag: [String] = []

    @Flag(name: .long, help: "Store *.sql.gz members decompressed, as *.sql, so daily dumps deduplicate.")
    var expandDumps = false

    @Option(name: .long, help: ArgumentHelp("File holding the password of openssl-enc archives (default: SILO_LEGACY_PASSWORD).", valueName: "file"))
    var legacyPasswordFile: String?

    @Option(name: .long, help: "Key derivation of openssl-enc archives: pbkdf2, sha256 or md5 (default: tried in that order).")
    var legacyKdf: String?

    @Option(name: .long, help: "PBKDF2 iterations of openssl-enc archives (openssl's -iter; default 10000).")
    var legacyIter: Int?

    func validate() throws {
        if let time, TimeParser.parse(time) == nil { throw ValidationError("cannot read --time '\(time)'") }
        if let legacyKdf, !["pbkdf2", "sha256", "md5"].contains(legacyKdf) { throw ValidationError("--legacy-kdf is pbkdf2, sha256 or md5") }
        if let legacyIter, legacyIter < 1 { throw ValidationError("--legacy-iter must be at least 1") }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let files = try ArchiveList.expand(archives)
            if time != nil && files.count > 1 { throw RepositoryError(.invalidArgument, "--time names one snapshot's time; give one archive with it") }
            let repository = try global.openRepository()
            var options = ImportOptions(host: host ?? Host.name)
            options.tags = tag
            options.time = time.flatMap(TimeParser.parse)
            options.expandDumps = expandDumps
            options.decryption = try decryption()
            var snapshots = try repository.snapshots()
            var imported = 0
            for file in files {
                let name = (file as NSString).lastPathComponent
                if let previous = try ImportIdentity.previous(of: file, options: options, in: snapshots) {
                    output.line("\(name): already imported as snapshot \(previous.id.shortHex) (same content, host and tags), skipped")
                    output.emit(ImportSkippedMessage(archive: name, snapshotId: previous.id.hex))
                    continue
                }
                let result = try TarImporter(repository: repository, options: options).run(file)
                snapshots.append((result.id, result.snapshot))
                imported += 1
                let s = result.snapshot.summary
                let rate = Double(result.archiveBytes) / max(result.seconds, 1e-9) / 1e6
                output.line(String(format: "%@: snapshot %@ at %@, %d members, %@ of content, %@ stored new, %.1f MB/s of archive",
                                   name, result.id.shortHex, Timestamp.iso8601(result.snapshot.date), result.members,
                                   Format.bytes(result.contentBytes), Format.bytes(s.bytesAdded), rate))
                output.emit(ImportedMessage(archive: name, snapshotId: result.id.hex, time: Timestamp.iso8601(result.snapshot.date),
                                            members: result.members, archiveBytes: result.archiveBytes, contentBytes: result.contentBytes,
                                            dataAddedStored: s.bytesAdded, durationSeconds: result.seconds))
            }
            output.emit(ImportSummaryMessage(imported: imported, skipped: files.count - imported))
            return ExitCodes.success
        }
    }

    private func decryption() throws -> LegacyDecryption {
        var decryption = LegacyDecryption()
        if let legacyPasswordFile {
            guard var data = FileManager.default.contents(atPath: legacyPasswordFile) else {
                throw RepositoryError(.invalidArgument, "cannot read --legacy-password-file \(legacyPasswordFile)")
            }
            // openssl's -pass file: reads the first line.
            if let newline = data.firstIndex(of: 0x0a) { data = data[..<newline] }
            if data.last == 0x0d { data.removeLast() }
            decryption.password = Data(data)
        } else if let secret = ProcessInfo.processInfo.environment["SILO_LEGACY_PASSWORD"] {
            decryption.password = Data(secret.utf8)
        }
        switch legacyKdf {
        case "pbkdf2": decryption.derivation = .pbkdf2(iterations: legacyIter ?? 10000)
        case "sha256": decryption.derivation = .bytesToKeySHA256
        case "md5": decryption.derivation = .bytesToKeyMD5
        default: decryption.iterations = legacyIter
        }
        return decryption
    }
}

/// Archive arguments: files as given; directories contribute their archives, oldest first
/// (by the time in the name, else modification time).
enum ArchiveList {
    static let suffixes = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".enc"]

    static func expand(_ arguments: [String]) throws -> [String] {
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                throw RepositoryError(.invalidArgument, "\(argument): no such file or directory")
            }
            if !isDirectory.boolValue {
                files.append(argument)
                continue
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: argument).filter { name in suffixes.contains { name.hasSuffix($0) } }
            let dated = names.map { name -> (String, Date) in
                let path = argument + "/" + name
                let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date.distantPast
                return (path, LegacyNames.time(of: name) ?? modified)
            }
            files += dated.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
        }
        return files
    }
}
