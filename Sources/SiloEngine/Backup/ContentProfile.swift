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
}
