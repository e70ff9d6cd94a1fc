import Foundation
import SiloConfig
import SiloOps
import SiloRepository

/// Reads what the checks need from an open repository, the run history and the file system.
/// Cheap by design: the catalog's snapshot list, the index totals, one listing each of locks
/// and deletion marks; no pack is read.
public enum MonitorFactsGathering {
    public static func gather(configuration: Configuration, configurationKey: String, repository: Repository, history: RunHistory?,
                              now: Date, host: String? = nil) throws -> MonitorFacts {
        let totals = try repository.indexTotals()
        let location = configuration.repository.location
        let isRemote = location.contains("://") || location.hasPrefix("s3:")
        var space = SpaceFacts(storedBytes: totals.packBytes, isRemote: isRemote)
        if !isRemote {
            var stats = statvfs()
            if statvfs(location, &stats) == 0 {
                space.fileSystemBytes = UInt64(stats.f_blocks) * UInt64(stats.f_frsize)
                space.freeBytes = UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
            }
        }
        let leases = try repository.leases(now: now).map { lease, stale in
            LeaseFact(purpose: lease.purpose.rawValue, host: lease.host, pid: lease.pid, started: Date(timeIntervalSince1970: lease.started),
                      refreshed: Date(timeIntervalSince1970: lease.refreshed), stale: stale)
        }
        let markers = try repository.deletionMarkers().map { (marked: Date(timeIntervalSince1970: $0.marker.marked), packs: $0.marker.packs.count) }
        var modes = ModeFacts(configurationFile: mode(of: configuration.file))
        if !isRemote { modes.repositoryDirectory = mode(of: location) }
        if case .file(let path) = configuration.repository.password { modes.passwordFile = mode(of: path) }
        return MonitorFacts(configuration: configuration, now: now, host: host, snapshots: try repository.snapshots(), history: history,
                            ledger: history.map { AlertLedger(history: $0, configuration: configurationKey) }, configurationKey: configurationKey,
                            space: space, leases: leases, markers: markers, modes: modes)
    }

    static func mode(of path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }
}
