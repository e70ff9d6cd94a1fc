import Foundation
import SiloFormat
import SiloRepository

/// Differences between two snapshots, restic's notation: `+` added, `-` removed,
/// `M` content changed, `U` metadata only, `T` type changed.
public struct SnapshotDiff {
    public struct Change: Sendable, Equatable {
        public let kind: Character
        public let path: String
    }

    let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    public func changes(from old: ChunkID, to new: ChunkID) throws -> [Change] {
        var result: [Change] = []
        try compare(old, new, path: "", into: &result)
        return result
    }

    private func compare(_ old: ChunkID?, _ new: ChunkID?, path: String, into result: inout [Change]) throws {
        if old == new { return }  // identical trees: nothing below differs
        let oldNodes = try old.map { try repository.loadTree($0).nodes } ?? []
        let newNodes = try new.map { try repository.loadTree($0).nodes } ?? []
        let oldByName = Dictionary(oldNodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newByName = Dictionary(newNodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = Set(oldByName.keys).union(newByName.keys).sorted { $0.lexicographicallyPrecedes($1) }
        for name in names {
            let childPath = path + "/" + name.displayString
            switch (oldByName[name], newByName[name]) {
            case (nil, let n?):
                result.append(Change(kind: "+", path: childPath + (n.type == .dir ? "/" : "")))
                if n.type == .dir { try compare(nil, n.subtree, path: childPath, into: &result) }
            case (let o?, nil):
                result.append(Change(kind: "-", path: childPath + (o.type == .dir ? "/" : "")))
                if o.type == .dir { try compare(o.subtree, nil, path: childPath, into: &result) }
            case (let o?, let n?):
                if o.type != n.type {
                    result.append(Change(kind: "T", path: childPath))
                } else if o.type == .dir {
                    if !Self.sameMetadata(o, n) { result.append(Change(kind: "U", path: childPath + "/")) }
                    try compare(o.subtree, n.subtree, path: childPath, into: &result)
                } else if o.content != n.content || o.linkTarget != n.linkTarget || o.rdev != n.rdev {
                    result.append(Change(kind: "M", path: childPath))
                } else if !Self.sameMetadata(o, n) {
                    result.append(Change(kind: "U", path: childPath))
                }
            case (nil, nil):
                break
            }
        }
    }

    static func sameMetadata(_ a: Node, _ b: Node) -> Bool {
        a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.mtime == b.mtime && a.xattrs == b.xattrs
    }
}
