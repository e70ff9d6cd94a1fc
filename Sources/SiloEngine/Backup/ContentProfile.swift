import Foundation

/// What a stream of content holds. It decides which of the repository's chunker profiles cuts
/// it (by the profile's name in `RepositorySettings.chunkerProfiles`) and whether its new chunks
/// may be stored as deltas of similar stored ones.
///
/// Every path that stores a database dump uses `.database`: `backup --postgres`, the
/// `import --expand-dumps` of old archives and `backup --stdin` of a dump. From one dump to the
/// next most chunks differ by a few rows, so a delta costs a fraction of a whole chunk.
public enum ContentProfile: String, Sendable, CaseIterable {
    /// Files: cut by the `files` profile (larger chunks), stored whole.
    case files
    /// Database dumps: cut by the `database` profile, stored as deltas where a similar chunk exists.
    case database

    /// The chunker profile's name in the repository's settings.
    public var chunkerName: String { rawValue }

    /// Whether new chunks are stored as deltas of resembling stored chunks.
    public var storesDeltas: Bool { self == .database }

    /// `.database` for the names dumps are kept under (`*.sql`, `*.dump`, `*.pgdump`), else
    /// `.files`: for content silo cannot peek at first (a pipe, an archive member).
    public static func of(name: String) -> ContentProfile {
        [".sql", ".dump", ".pgdump"].contains { name.hasSuffix($0) } ? .database : .files
    }

    /// `.database` when `prefix`, the first bytes of a stream, starts the way pg_dump's output
    /// does (plain SQL or the custom format), else `.files`: for streams whose producer silo does
    /// not run itself (`backup --stdin`, a dump inside an imported archive).
    public static func detect(prefix: Data) -> ContentProfile {
        if prefix.starts(with: Data("PGDMP".utf8)) { return .database }
        // A plain dump: "--\n-- PostgreSQL database dump\n--" (pg_dump) or "...database cluster dump" (pg_dumpall).
        let head = String(decoding: prefix.prefix(64), as: UTF8.self)
        if head.hasPrefix("--\n-- PostgreSQL database") { return .database }
        return .files
    }
}
