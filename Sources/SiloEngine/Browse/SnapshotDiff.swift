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

    /// Work left to do, last first: a change to report, or two directories to compare.
    private enum Step {
        case report(Change)
        case compare(ChunkID?, ChunkID?, path: String)
    }

    /// The changes in path order. A loop over an explicit stack of steps, not recursion: a
    /// snapshot's depth comes from its data, and recursion as deep as that overflows the
    /// thread's stack (an 8,000-level snapshot crashed `diff`). A directory's steps are pushed
    /// in reverse, so each change is reported before the comparison of what lies below it.
    public func changes(from old: ChunkID, to new: ChunkID) throws -> [Change] {
        var result: [Change] = []
        var steps: [Step] = [.compare(old, new, path: "")]
        while let step = steps.popLast() {
            switch step {
            case .report(let change):
                result.append(change)
            case .compare(let old, let new, let path):
                steps += try compare(old, new, path: path).reversed()
            }
        }
        return result
    }

    /// One directory's steps, in path order.
    private func compare(_ old: ChunkID?, _ new: ChunkID?, path: String) throws -> [Step] {
        if old == new { return [] }  // identical trees: nothing below differs
        let oldNodes = try old.map { try repository.loadTree($0).nodes } ?? []
        let newNodes = try new.map { try repository.loadTree($0).nodes } ?? []
        let oldByName = Dictionary(oldNodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let newByName = Dictionary(newNodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = Set(oldByName.keys).union(newByName.keys).sorted { $0.lexicographicallyPrecedes($1) }
        var steps: [Step] = []
        for name in names {
            let childPath = path + "/" + name.displayString
            switch (oldByName[name], newByName[name]) {
            case (nil, let n?):
                steps.append(.report(Change(kind: "+", path: childPath + (n.type == .dir ? "/" : ""))))
                if n.type == .dir { steps.append(.compare(nil, n.subtree, path: childPath)) }
            case (let o?, nil):
                steps.append(.report(Change(kind: "-", path: childPath + (o.type == .dir ? "/" : ""))))
                if o.type == .dir { steps.append(.compare(o.subtree, nil, path: childPath)) }
            case (let o?, let n?):
                if o.type != n.type {
                    steps.append(.report(Change(kind: "T", path: childPath)))
                } else if o.type == .dir {
                    if !Self.sameMetadata(o, n) { steps.append(.report(Change(kind: "U", path: childPath + "/"))) }
                    steps.append(.compare(o.subtree, n.subtree, path: childPath))
                } else if o.content != n.content || o.linkTarget != n.linkTarget || o.rdev != n.rdev {
                    steps.append(.report(Change(kind: "M", path: childPath)))
                } else if !Self.sameMetadata(o, n) {
                    steps.append(.report(Change(kind: "U", path: childPath)))
                }
            case (nil, nil):
                break
            }
        }
        return steps
    }

    static func sameMetadata(_ a: Node, _ b: Node) -> Bool {
        a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.mtime == b.mtime && a.xattrs == b.xattrs
    }
}
