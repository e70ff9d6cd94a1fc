import Foundation
import SiloFormat
import SiloRepository

/// Resolves what a user types for a snapshot: a full ID, a unique prefix, or `latest`,
/// optionally narrowed to a host, a source path or a tag (`latest` then means the newest of those).
public struct SnapshotSelector: Sendable {
    public var host: String?
    public var path: String?
    public var tag: String?

    public init(host: String? = nil, path: String? = nil, tag: String? = nil) {
        self.host = host
        self.path = path
        self.tag = tag
    }

    public func matches(_ snapshot: Snapshot) -> Bool {
        if let host, snapshot.host != host { return false }
        if let path {
            let wanted = Paths.absolute(path).displayString
            if !snapshot.paths.contains(wanted) { return false }
        }
        if let tag, !snapshot.tags.contains(tag) { return false }
        return true
    }

    public func filter(_ all: [(id: SnapshotID, snapshot: Snapshot)]) -> [(id: SnapshotID, snapshot: Snapshot)] {
        all.filter { matches($0.snapshot) }
    }

    /// The tag of the snapshots `silo run` saves its configuration in (FORMAT.md §14): they are
    /// not backups, so `latest` passes over them unless `--tag silo-config` asks for them.
    public static let configurationTag = "silo-config"

    /// `covering`: for `latest`, the paths the command reads (`dump latest PATH`, `restore latest
    /// --include PATH`): the newest snapshot whose source paths hold one of them (or lie under one). `silo run`
    /// keeps each source in a series of its own, and the newest snapshot of all may be another
    /// source's.
    public func resolve(_ reference: String, in repository: Repository, covering: [String] = []) throws -> (id: SnapshotID, snapshot: Snapshot) {
        let all = filter(try repository.snapshots())
        if reference == "latest" {
            var candidates = tag == Self.configurationTag ? all : all.filter { !$0.snapshot.tags.contains(Self.configurationTag) }
            if !covering.isEmpty {
                let wanted = covering.map { Paths.absolute($0).displayString }
                candidates = candidates.filter { entry in
                    entry.snapshot.paths.contains { source in wanted.contains { Self.path($0, isUnder: source) || Self.path(source, isUnder: $0) } }
                }
            }
            guard let last = candidates.last else {
                let what = covering.isEmpty ? "" : " holding \(covering.joined(separator: ", "))"
                throw RepositoryError(.notFound, "no snapshot\(what) matches\(describeFilter); run `silo snapshots` to see them")
            }
            return last
        }
        let prefix = reference.lowercased()
        guard prefix.count >= 4, prefix.allSatisfy({ $0.isHexDigit }) else {
            throw RepositoryError(.invalidArgument, "'\(reference)' is not a snapshot reference: use `latest`, an ID, or an ID prefix of at least 4 hex digits")
        }
        let matches = all.filter { $0.id.hex.hasPrefix(prefix) }
        guard matches.count == 1 else {
            throw RepositoryError(matches.isEmpty ? .notFound : .invalidArgument,
                                  matches.isEmpty ? "no snapshot \(reference)\(describeFilter)" : "snapshot prefix \(reference) is ambiguous; give more digits")
        }
        return matches[0]
    }

    /// `path` is `source` or lies under it.
    static func path(_ path: String, isUnder source: String) -> Bool {
        source == "/" || path == source || path.hasPrefix(source + "/")
    }

    private var describeFilter: String {
        var parts: [String] = []
        if let host { parts.append("host \(host)") }
        if let path { parts.append("path \(path)") }
        if let tag { parts.append("tag \(tag)") }
        return parts.isEmpty ? "" : " with " + parts.joined(separator: ", ")
    }
}
