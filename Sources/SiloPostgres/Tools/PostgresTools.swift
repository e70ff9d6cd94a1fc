import Foundation

/// Where the PostgreSQL client programs are: `SILO_PG_BINDIR` when set (to pick one version
/// among several), else the `PATH`.
enum PostgresTools {
    static func path(_ program: String) -> String {
        if let directory = ProcessInfo.processInfo.environment["SILO_PG_BINDIR"], !directory.isEmpty {
            return directory + "/" + program
        }
        return program
    }
}
