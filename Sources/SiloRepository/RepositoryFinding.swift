import Foundation

/// Damage found while opening or synchronising a repository that does not stop the commands
/// which do not need the damaged object. After a disaster the cache is empty and every object
/// is read anew: one flipped byte in one index file must not lock the user out of every other
/// snapshot, nor out of the commands that repair it (FORMAT.md §12).
public struct RepositoryFinding: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case indexFile = "index_file"
        case snapshot
        case deletionMarker = "deletion_marker"
        case keyFile = "key_file"
        case catalog
    }

    public let kind: Kind
    /// The object's key in the repository (`index/…`), or a file's path for the catalog.
    public let key: String
    public let message: String

    public init(kind: Kind, key: String, message: String) {
        self.kind = kind
        self.key = key
        self.message = message
    }

    public var description: String { message }

    /// The message with what to do, for a warning.
    public var advice: String { remedy.isEmpty ? message : "\(message); \(remedy)" }

    /// What to do about it, by kind: the command that repairs it.
    public var remedy: String {
        switch kind {
        case .indexFile: return "run `silo index rebuild` to index its packs again from their own trailers"
        case .snapshot: return "restore from another snapshot; `silo repair snapshots` removes it"
        case .deletionMarker: return "the next `silo prune` removes it and marks its packs again if they are unneeded"
        case .keyFile: return "remove it with `silo key remove` once another key opens the repository"
        case .catalog: return ""
        }
    }
}

/// The findings of one open repository, shared by the threads of a command.
final class FindingsLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [RepositoryFinding] = []

    func record(_ finding: RepositoryFinding) {
        lock.withLock {
            if !entries.contains(where: { $0.key == finding.key }) { entries.append(finding) }
        }
    }

    func forget(key: String) {
        lock.withLock { entries.removeAll { $0.key == key } }
    }

    var all: [RepositoryFinding] { lock.withLock { entries } }
}
