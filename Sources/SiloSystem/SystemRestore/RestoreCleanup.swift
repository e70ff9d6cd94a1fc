import Foundation
import SiloConfig
import SiloOps
import SiloPostgres

/// `restore --system --cleanup DAYS`: the copies a finished system restore kept (the replaced
/// trees `PATH.silo-old-<id>` and databases `NAME_old_<id>`, and after a rollback the restored
/// ones, `.silo-failed-` and `_failed_`) are removed; the journal then says it can no longer be
/// rolled back.
public enum RestoreCleanup {
    public static func removeKeptCopies(_ journal: RestoreJournal, configuration: Configuration) throws -> [String] {
        let id = journal.plan.id
        var removed: [String] = []
        for item in journal.plan.paths {
            for copy in [item.kept(id), item.failed(id)] where SystemRestoreRun.exists(copy) {
                try FileManager.default.removeItem(atPath: copy)
                removed.append(copy)
            }
        }
        for item in journal.plan.databases {
            guard let source = configuration.source(named: item.source), case .postgres(let postgres) = source.kind else { continue }
            let server = try ConfiguredRun.server(of: postgres, environment: ProcessInfo.processInfo.environment)
            for copy in [item.kept(id), item.failed(id)] where try DatabaseSwapBack.exists(copy, server: server) {
                try DatabaseSwapBack.dropKept(copy, server: server)
                removed.append("database \(copy)")
            }
        }
        return removed
    }
}
