import Foundation

/// What a database held when it was dumped, taken in the dump's own exported snapshot, so a
/// restore can be verified later without the live source (docs/FORMAT.md §13).
public struct DatabaseManifest: Codable, Sendable, Equatable {
    /// 2 added `properties`. A version-1 reader would restore without them, silently
    /// reopening a database whose CONNECT was revoked from PUBLIC, so it must refuse version 2.
    public static let currentVersion = 2

    public var version = DatabaseManifest.currentVersion
    public var database: String
    public var owner: String?
    public var serverVersion: String
    public var encoding: String?
    /// SHA-256 of `pg_dump --schema-only`, without its version and `\restrict` lines.
    public var schemaSHA256: String
    public var tables: [TableChecksum]
    public var sequences: [SequenceState]
    public var largeObjects: [LargeObjectDigest]
    /// Database-level properties (owner, ACL, settings, …); nil in version-1 manifests.
    public var properties: DatabaseProperties?

    public struct TableChecksum: Codable, Sendable, Equatable {
        public var schema: String
        public var name: String
        public var rows: Int64
        /// Sum of `hashtextextended(row::text, 0)` over the rows: independent of row order.
        public var checksum: String
        public var qualifiedName: String { "\(schema).\(name)" }
    }

    /// Sequences are not transactional: their value is read just before and just after the
    /// dump, and the restored value must lie between the two.
    public struct SequenceState: Codable, Sendable, Equatable {
        public var schema: String
        public var name: String
        public var lastValueBefore: Int64?
        public var lastValueAfter: Int64?
    }

    public struct LargeObjectDigest: Codable, Sendable, Equatable {
        public var oid: UInt32
        public var md5: String
    }

    /// Differences between what was backed up (`self`) and a restored database, one line each.
    public func differences(from restored: DatabaseManifest) -> [String] {
        var problems: [String] = []
        if restored.schemaSHA256 != schemaSHA256 { problems.append("schema differs (pg_dump --schema-only hash)") }
        let restoredTables = Dictionary(restored.tables.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
        for table in tables {
            guard let other = restoredTables[table.qualifiedName] else {
                problems.append("table \(table.qualifiedName) is missing")
                continue
            }
            if other.rows != table.rows { problems.append("table \(table.qualifiedName): \(other.rows) rows, expected \(table.rows)") }
            else if other.checksum != table.checksum { problems.append("table \(table.qualifiedName): content checksum differs") }
        }
        let expectedNames = Set(tables.map(\.qualifiedName))
        for extra in restored.tables where !expectedNames.contains(extra.qualifiedName) {
            problems.append("table \(extra.qualifiedName) was not in the backup")
        }
        let restoredSequences = Dictionary(restored.sequences.map { ("\($0.schema).\($0.name)", $0) }, uniquingKeysWith: { a, _ in a })
        for sequence in sequences {
            let name = "\(sequence.schema).\(sequence.name)"
            guard let other = restoredSequences[name] else {
                problems.append("sequence \(name) is missing")
                continue
            }
            if !sequence.admits(other.lastValueAfter) {
                problems.append("sequence \(name) is at \(other.lastValueAfter.map(String.init) ?? "unset"), expected \(sequence.range)")
            }
        }
        if restored.largeObjects != largeObjects {
            problems.append("large objects differ (\(restored.largeObjects.count) restored, \(largeObjects.count) backed up)")
        }
        if let properties {
            if let other = restored.properties { problems += properties.differences(from: other) }
            else { problems.append("database-level properties were not read from the restored database") }
        }
        return problems
    }
}

extension DatabaseManifest.SequenceState {
    func admits(_ value: Int64?) -> Bool {
        switch (lastValueBefore, lastValueAfter, value) {
        case (nil, nil, nil): return true
        case (_, _, nil): return lastValueBefore == nil
        case (let low, let high, let value?):
            return value >= (low ?? Int64.min) && value <= (high ?? Int64.max)
        }
    }

    var range: String {
        lastValueBefore == lastValueAfter ? (lastValueAfter.map(String.init) ?? "unset")
            : "\(lastValueBefore.map(String.init) ?? "unset")…\(lastValueAfter.map(String.init) ?? "unset")"
    }
}
