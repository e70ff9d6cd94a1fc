import SiloFormat

/// Where each kind of object lives in the store (docs/FORMAT.md §Layout).
public enum ObjectKeys {
    public static let config = "config"
    public static let keysPrefix = "keys/"
    public static let packsPrefix = "packs/"
    public static let indexPrefix = "index/"
    public static let snapshotsPrefix = "snapshots/"

    /// Packs fan out into 256 folders so no directory grows huge.
    public static func pack(_ id: PackID) -> String { "packs/\(id.hex.prefix(2))/\(id.hex)" }
    public static func index(_ id: IndexID) -> String { "index/\(id.hex)" }
    public static func snapshot(_ id: SnapshotID) -> String { "snapshots/\(id.hex)" }
    public static func key(_ id: KeyID) -> String { "keys/\(id.hex)" }

    /// The ID at the end of a listed key, if it is one of ours.
    public static func id<T: DigestIdentifier>(from key: String, as: T.Type) -> T? {
        guard let last = key.split(separator: "/").last else { return nil }
        return T(hex: String(last))
    }
}
