import Foundation

/// The environment a PostgreSQL client program starts with: silo's own, less the secrets silo
/// reads, plus the child's connection settings (`PGHOST`, `PGPASSWORD`, …).
///
/// A child has no use for silo's secrets, and anything that can read its environment
/// (`/proc/<pid>/environ` to the same user, a crash report, a program it starts) would see them.
enum ChildEnvironment {
    /// What silo reads and a child never needs: silo's own variables (`SILO_*`: the passwords
    /// of the repository, of another repository, of legacy archives, a new key's), the S3
    /// credentials (`AWS_*`), and `DB_PASSWORD` (a child that needs it is given it as `PGPASSWORD`).
    /// Other `PG*` variables pass unchanged: libpq in the child reads them.
    static func isWithheld(_ name: String) -> Bool {
        name.hasPrefix("SILO_") || name.hasPrefix("AWS_") || name == "DB_PASSWORD"
    }

    static func make(adding settings: [String: String],
                     to base: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var environment = base.filter { !isWithheld($0.key) }
        for (key, value) in settings { environment[key] = value }
        return environment
    }
}
