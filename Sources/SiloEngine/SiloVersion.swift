/// The one place silo's version is written: `silo version`, `silo --version`, the man pages,
/// and the `program` recorded in each snapshot.
public enum SiloVersion {
    public static let current = "0.1.0"
    /// How silo names itself: `silo 0.1.0`.
    public static var line: String { "silo \(current)" }
}
