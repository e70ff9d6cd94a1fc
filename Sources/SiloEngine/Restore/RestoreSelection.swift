import Foundation
import SiloFormat
import SiloRepository

/// Which paths of a snapshot a restore takes: those under an `--include` (all when there is
/// none), less those an `--exclude` pattern matches (restic's patterns, as for backup). One
/// judge for the restore itself, its dry run and its verification, so they never disagree.
struct RestoreSelection: Sendable {
    enum Choice { case all, partial, none }

    let includes: [ByteString]
    let excludes: ExcludeMatcher

    init(_ options: RestoreOptions) {
        includes = options.includes.map { Paths.absolute($0) }
        excludes = ExcludeMatcher(patterns: options.excludes)
    }

    /// `all`: the node and everything below it; `partial`: only some of what is below (a
    /// directory above an include); `none`: nothing. `parentAll` is the choice of its directory.
    func choice(_ path: ByteString, name: ByteString, parentAll: Bool) -> Choice {
        if excludes.excludes(path: path, name: name) { return .none }
        if parentAll || includes.isEmpty { return .all }
        for include in includes {
            if path == include || path.starts(with: include + [47]) { return .all }
        }
        for include in includes where include.starts(with: path + [47]) { return .partial }
        return .none
    }
}

extension RestoreSelection {
    /// Visits the nodes a restore of `tree` takes, in path order: `visit` gets each chosen
    /// node (not the directories above an include, which a restore makes only as a way down).
    func walk(_ repository: Repository, tree: ChunkID, visit: (_ path: ByteString, _ node: Node) throws -> Void) throws {
        try TreeWalker(repository: repository).walk(tree) { path, node in
            switch choice(path, name: node.name, parentAll: false) {
            case .none: return false
            case .partial: return true
            case .all:
                try visit(path, node)
                return true
            }
        }
    }
}

/// What `restore --dry-run` reports: what a restore would write, found without writing.
public struct RestorePreview: Sendable {
    public var files = 0
    public var directories = 0
    public var others = 0
    /// Content bytes, each hard-linked file counted once (a restore links the other names).
    public var bytes: UInt64 = 0

    public init(repository: Repository, snapshot: Snapshot, options: RestoreOptions) throws {
        let selection = RestoreSelection(options)
        try Restorer.checkIncludes(selection.includes, repository: repository, snapshot: snapshot, options: options)
        var inodes = Set<[UInt64]>()
        var counts = (files: 0, directories: 0, others: 0, bytes: UInt64(0))
        try selection.walk(repository, tree: snapshot.tree) { _, node in
            switch node.type {
            case .dir: counts.directories += 1
            case .file:
                counts.files += 1
                if node.links <= 1 || inodes.insert([node.device, node.inode]).inserted { counts.bytes += node.size ?? 0 }
            case .socket: break  // never restored
            default: counts.others += 1
            }
        }
        (files, directories, others, bytes) = counts
    }
}
