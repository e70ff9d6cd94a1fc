import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloPostgres
import SiloRepository

/// Why a system restore refused to start: nothing was touched.
public struct SystemRestoreRefusal: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// Which snapshot a system restore takes each source from.
public enum SnapshotChoice: Sendable {
    /// Each source's newest snapshot.
    case latest
    /// A snapshot by ID (prefix): its own source from it, every other source from its newest
    /// snapshot no later than that one.
    case snapshot(String)
    /// Each source's newest snapshot no later than this time.
    case time(Date)
}

/// Makes the plan: the services in scope, for each of their paths and databases the snapshot it
/// comes from and its size. Refuses, naming what is wrong, a service command that is missing, a
/// source without a snapshot, and a snapshot that lacks a configured path or database.
public struct SystemRestorePlanner {
    let configuration: Configuration
    let repository: Repository
    let host: String
    let environment: [String: String]

    public init(configuration: Configuration, repository: Repository, host: String = Host.name, environment: [String: String] = [:]) {
        self.configuration = configuration
        self.repository = repository
        self.host = host
        self.environment = environment
    }

    public func plan(choice: SnapshotChoice, only: [String], verifyData: Bool, now: Date = Date()) throws -> SystemRestorePlan {
        let services = try servicesInScope(only)
        for service in services {
            if let missing = ServiceControl(service, environment: environment).missingProgram() {
                throw SystemRestoreRefusal("service \(service.name): \(missing) is not installed (not found on PATH): fix its command before restoring")
            }
        }
        let snapshots = try chooseSnapshots(choice, for: services)
        let walker = TreeWalker(repository: repository)
        var paths: [SystemRestorePlan.PathItem] = []
        var databases: [SystemRestorePlan.DatabaseItem] = []
        for service in services {
            for path in service.paths {
                guard let source = configuration.sources.owning(path: path), let chosen = snapshots[source.name] else {
                    throw SystemRestoreRefusal("service \(service.name): \(path) is not inside any paths source")
                }
                guard try walker.node(at: Paths.absolute(path), root: chosen.snapshot.tree) != nil else {
                    throw SystemRestoreRefusal("snapshot \(chosen.id.shortHex) of source \(source.name) (\(Self.time(chosen.snapshot.date))) lacks \(path), which service \(service.name) needs: choose another snapshot or fix the service's paths")
                }
                var options = RestoreOptions(target: "/")
                options.includes = [path]
                let preview = try RestorePreview(repository: repository, snapshot: chosen.snapshot, options: options)
                paths.append(SystemRestorePlan.PathItem(service: service.name, path: path, source: source.name, snapshot: chosen.id.hex,
                                                        snapshotTime: chosen.snapshot.date, files: preview.files, bytes: preview.bytes,
                                                        existed: SystemRestoreRun.exists(path)))
            }
            for database in service.databases {
                guard let source = configuration.sources.dumping(database: database), let chosen = snapshots[source.name] else {
                    throw SystemRestoreRefusal("service \(service.name): database \(database) is not dumped by any postgres source")
                }
                guard let dump = try walker.node(at: Paths.absolute(SnapshotLayout.dumpPath(database)), root: chosen.snapshot.tree) else {
                    throw SystemRestoreRefusal("snapshot \(chosen.id.shortHex) of source \(source.name) (\(Self.time(chosen.snapshot.date))) lacks database \(database), which service \(service.name) needs: choose another snapshot or fix the service's databases")
                }
                databases.append(SystemRestorePlan.DatabaseItem(service: service.name, database: database, source: source.name, snapshot: chosen.id.hex,
                                                                snapshotTime: chosen.snapshot.date, bytes: dump.size ?? 0, existed: true,
                                                                priority: service.priority.rawValue))
            }
        }
        let estimate = Double(paths.reduce(0) { $0 + $1.bytes }) / SystemRestorePlan.fileRate
            + Double(databases.reduce(0) { $0 + $1.bytes }) / SystemRestorePlan.databaseRate
        return SystemRestorePlan(id: SystemRestorePlan.stamp(now), created: now, host: host, configuration: configuration.file,
                                 services: services.map { .init(name: $0.name, priority: $0.priority.rawValue, keepRunning: $0.keepRunning) },
                                 paths: paths, databases: databases, verifyData: verifyData, estimatedSeconds: estimate)
    }

    /// Most important first; in the file's order within a tier.
    private func servicesInScope(_ only: [String]) throws -> [ServiceSettings] {
        guard !configuration.services.isEmpty else {
            throw SystemRestoreRefusal("the configuration names no services: add a 'services' section (docs/RESTORE.md) to restore the system")
        }
        for name in only where configuration.service(named: name) == nil {
            let hint = Suggestion.closest(to: name, among: configuration.services.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            throw SystemRestoreRefusal("no service is named '\(name)'\(hint)")
        }
        let chosen = only.isEmpty ? configuration.services : configuration.services.filter { only.contains($0.name) }
        return chosen.enumerated().sorted { ($0.element.priority.rank, $0.offset) < ($1.element.priority.rank, $1.offset) }.map(\.element)
    }

    private func chooseSnapshots(_ choice: SnapshotChoice, for services: [ServiceSettings]) throws -> [String: (id: SnapshotID, snapshot: Snapshot)] {
        var needed: [String] = []
        for service in services {
            for path in service.paths { if let source = configuration.sources.owning(path: path) { needed.append(source.name) } }
            for database in service.databases {
                if let source = configuration.sources.dumping(database: database) { needed.append(source.name) }
            }
        }
        let all = try repository.snapshots().filter { $0.snapshot.host == host }
        var limit: Date?
        var pinned: (id: SnapshotID, snapshot: Snapshot)?
        switch choice {
        case .latest: break
        case .time(let time): limit = time
        case .snapshot(let reference):
            pinned = try SnapshotSelector().resolve(reference, in: repository)
            limit = pinned?.snapshot.date
        }
        var chosen: [String: (id: SnapshotID, snapshot: Snapshot)] = [:]
        for name in Set(needed) {
            let tag = "source:" + name
            if let pinned, pinned.snapshot.tags.contains(tag) {
                chosen[name] = pinned
                continue
            }
            let series = all.filter { entry in entry.snapshot.tags.contains(tag) && (limit.map { entry.snapshot.date <= $0 } ?? true) }
            guard let newest = series.max(by: { $0.snapshot.time < $1.snapshot.time }) else {
                let when = limit.map { " taken at or before \(Self.time($0))" } ?? ""
                throw SystemRestoreRefusal("source \(name) has no snapshot of host \(host)\(when): nothing to restore it from (run `silo run` first, or choose a later time)")
            }
            chosen[name] = newest
        }
        return chosen
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
