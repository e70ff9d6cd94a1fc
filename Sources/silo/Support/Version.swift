/// The one place silo's version is written: `silo version`, `silo --version`, the man pages.
enum SiloVersion {
    static let number = "0.1.0"
    static let line = "silo \(number)"
}
