import Foundation
import SiloFormat
import SiloRepository

/// `restore --verify`: reads back every file a restore wrote and compares it, chunk by chunk,
/// with the content hashes the snapshot records. It checks the restored copy itself, after
/// the restore: what reached the disk, not what the restore meant to write.
public struct RestoreVerifier {
    public struct Mismatch: Sendable, CustomStringConvertible {
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }
    }

    public struct Report: Sendable {
        public var filesChecked = 0
        public var bytesChecked: UInt64 = 0
        public var mismatches: [Mismatch] = []
    }

    let repository: Repository
    let snapshot: Snapshot
    let options: RestoreOptions
    /// Also compare each file's permission bits, mtime and (as root) owner with the snapshot's.
    let checksMetadata: Bool

    public init(repository: Repository, snapshot: Snapshot, options: RestoreOptions, checksMetadata: Bool = false) {
        self.repository = repository
        self.snapshot = snapshot
        self.options = options
        self.checksMetadata = checksMetadata
    }

    public func run() throws -> Report {
        let target = Paths.absolute(options.target)
        var report = Report()
        try RestoreSelection(options).walk(repository, tree: snapshot.tree) { path, node in
            guard node.type == .file else { return }
            var restored = target
            for part in Paths.components(path) { restored = Paths.join(restored, part) }
            report.filesChecked += 1
            if let problem = try compare(restored, with: node, bytes: &report.bytesChecked) {
                report.mismatches.append(Mismatch(path: restored.displayString, message: problem))
            }
        }
        return report
    }

    /// Nil when the file at `path` holds exactly the node's content; else what differs.
    private func compare(_ path: ByteString, with node: Node, bytes: inout UInt64) throws -> String? {
        let fd = Paths.withCPath(path) { open($0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { return "cannot open the restored file: \(Paths.errorText(errno))" }
        defer { close(fd) }
        var offset: UInt64 = 0
        for (index, chunk) in (node.content ?? []).enumerated() {
            guard let location = try repository.catalog.location(of: chunk) else {
                return "chunk \(index) (\(chunk.shortHex)) is not in the index; cannot compare"
            }
            let length = Int(location.entry.rawLength)
            var data = Data(count: length)
            let got = data.withUnsafeMutableBytes { Self.readFully(fd, $0) }
            guard got == length else { return "shorter than in the snapshot: ends at byte \(offset + UInt64(max(got, 0)))" }
            guard repository.codec.identifier.id(of: data) == chunk else {
                return "content differs from the snapshot in bytes \(offset)–\(offset + UInt64(length) - 1)"
            }
            offset += UInt64(length)
            bytes += UInt64(length)
        }
        var extra: UInt8 = 0
        if read(fd, &extra, 1) == 1 { return "longer than in the snapshot (\(offset) bytes)" }
        return checksMetadata ? Self.metadataDifference(fd, node) : nil
    }

    private static func metadataDifference(_ fd: Int32, _ node: Node) -> String? {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return "cannot stat the restored file: \(Paths.errorText(errno))" }
        let mode = UInt32(status.st_mode) & 0o7777
        if mode != node.mode & 0o7777 { return String(format: "mode %o, the snapshot has %o", mode, node.mode & 0o7777) }
        let mtime = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        if mtime != node.mtime { return "mtime differs from the snapshot's" }
        if geteuid() == 0, status.st_uid != node.uid || status.st_gid != node.gid {
            return "owner \(status.st_uid):\(status.st_gid), the snapshot has \(node.uid):\(node.gid)"
        }
        return nil
    }

    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
        var done = 0
        while done < buffer.count {
            let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 { if errno == EINTR { continue }; return -1 }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
