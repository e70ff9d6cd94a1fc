import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloOps
import SiloPostgres
import SiloRepository

/// What one drill proved.
public struct DrillReport: Sendable {
    public struct Item: Sendable {
        public var source: String
        public var snapshot: String
        public var snapshotTime: Date
        /// A path restored under the sandbox, or a database's temporary name.
        public var kind: String
        public var name: String
        public var files: Int
        public var bytes: UInt64
        public var seconds: Double
        /// Files verified against the snapshot's hashes and metadata, or tables and rows against the manifest.
        public var verified: String
    }

    public var id: String
    public var sandbox: String
    public var items: [Item] = []
    public var smoke: [(command: String, result: String, passed: Bool)] = []
    /// Restore and verification, from the first byte to the last check.
    public var rtoSeconds = 0.0
    /// The age of the oldest snapshot the drill restored: the data a disaster now would lose.
    public var rpoSeconds = 0.0
    public var failure: String?
    /// What the clean-up could not remove (none when it worked).
    public var leftovers: [String] = []

    public var passed: Bool { failure == nil }
}

/// `silo drill`: the seed's monthly `restore.sh --test`. It restores the newest snapshot of each
/// source into a sandbox (files under a scratch directory, databases under temporary names),
/// verifies them against the snapshot, runs the smoke commands, measures RTO and RPO, and
/// removes the sandbox. It never touches a live path, database or service.
public struct RestoreDrill {
    let configuration: Configuration
    let repository: Repository
    let scratchParent: String
    let host: String
    let environment: [String: String]
    let say: (String) -> Void
    let recorder: StepRecorder

    public init(configuration: Configuration, repository: Repository, stateDirectory: String, host: String = Host.name,
                environment: [String: String] = [:], say: @escaping (String) -> Void = { _ in }, recorder: StepRecorder = StepRecorder()) {
        self.configuration = configuration
        self.repository = repository
        self.scratchParent = configuration.drill.scratch ?? stateDirectory + "/drill"
        self.host = host
        self.environment = environment
        self.say = say
        self.recorder = recorder
    }

    /// What to drill: with `system`, the services' paths and databases; else the named sources
    /// whole (every source when none is named).
    public enum Scope: Sendable {
        case system
        case sources([String])
    }

    public func run(_ scope: Scope, now: Date = Date()) throws -> DrillReport {
        let id = SystemRestorePlan.stamp(now)
        let sandbox = scratchParent + "/drill-" + id
        var report = DrillReport(id: id, sandbox: sandbox)
        let work = try self.work(scope)
        try FileManager.default.createDirectory(atPath: sandbox, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var databases: [(server: ConnectionTarget, name: String, original: String)] = []
        defer { report.leftovers = cleanUp(sandbox, databases) }
        let started = Date()
        do {
            var oldest = now
            for item in work {
                let (id, snapshot) = try newest(item.source)
                oldest = min(oldest, snapshot.date)
                switch item.what {
                case .paths(let includes):
                    report.items.append(try restoreFiles(item.source, id, snapshot, includes: includes, into: sandbox + "/files"))
                case .database(let database, let server):
                    let name = try DatabaseSwapBackName.drill(database, id: report.id)
                    databases.append((server, name, database))
                    report.items.append(try restoreDatabase(item.source, id, snapshot, database: database, as: name, server: server))
                }
            }
            report.rtoSeconds = Date().timeIntervalSince(started)
            report.rpoSeconds = max(0, now.timeIntervalSince(oldest))
            var smokeEnvironment = environment.merging(["SILO_DRILL_ROOT": sandbox + "/files", "SILO_DRILL_ID": report.id]) { $1 }
            for database in databases { smokeEnvironment["SILO_DRILL_DB_" + Self.variableName(database.original)] = database.name }
            for hook in configuration.drill.smoke {
                let token = recorder.began("smoke")
                say("smoke: \(hook.command)")
                let result = HookRunner.run(hook, environment: smokeEnvironment)
                report.smoke.append((hook.command, result.description, result == .succeeded))
                recorder.ended(token, result == .succeeded ? nil : "\(hook.command) \(result.description)")
                if result != .succeeded { throw SystemRestoreRefusal("smoke command \(hook.command) \(result.description)") }
            }
        } catch {
            report.failure = String(describing: error)
            report.rtoSeconds = report.rtoSeconds == 0 ? Date().timeIntervalSince(started) : report.rtoSeconds
        }
        return report
    }

    // MARK: what a drill restores

    private enum What {
        case paths([String])
        case database(String, ConnectionTarget)
    }

    private func work(_ scope: Scope) throws -> [(source: String, what: What)] {
        var work: [(source: String, what: What)] = []
        switch scope {
        case .system:
            guard !configuration.services.isEmpty else {
                throw SystemRestoreRefusal("the configuration names no services: `silo drill --system` drills what services own; name sources instead")
            }
            for service in configuration.services {
                for path in service.paths {
                    guard let source = configuration.sources.owning(path: path) else { continue }
                    work.append((source.name, .paths([path])))
                }
                for database in service.databases {
                    guard let source = configuration.sources.dumping(database: database) else { continue }
                    work.append((source.name, .database(database, try server(source))))
                }
            }
        case .sources(let names):
            for name in names where configuration.source(named: name) == nil {
                let hint = Suggestion.closest(to: name, among: configuration.sources.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
                throw SystemRestoreRefusal("no source is named '\(name)'\(hint)")
            }
            for source in configuration.sources where names.isEmpty || names.contains(source.name) {
                switch source.kind {
                case .paths: work.append((source.name, .paths([])))
                case .postgres:
                    let (_, snapshot) = try newest(source.name)
                    for database in try databases(in: snapshot) { work.append((source.name, .database(database, try server(source)))) }
                }
            }
        }
        return work
    }

    private func newest(_ source: String) throws -> (SnapshotID, Snapshot) {
        let tag = "source:" + source
        guard let newest = try repository.snapshots().filter({ $0.snapshot.host == host && $0.snapshot.tags.contains(tag) })
            .max(by: { $0.snapshot.time < $1.snapshot.time }) else {
            throw SystemRestoreRefusal("source \(source) has no snapshot of host \(host) to drill: run `silo run` first")
        }
        return (newest.id, newest.snapshot)
    }

    private func databases(in snapshot: Snapshot) throws -> [String] {
        guard let root = try TreeWalker(repository: repository).node(at: Paths.absolute(SnapshotLayout.root), root: snapshot.tree),
              let tree = root.subtree else { return [] }
        return try repository.loadTree(tree).nodes.filter { $0.type == .dir }.map { $0.name.displayString }
    }

    private func restoreFiles(_ source: String, _ id: SnapshotID, _ snapshot: Snapshot, includes: [String], into target: String) throws -> DrillReport.Item {
        let token = recorder.began("files/\(source)")
        let started = Date()
        do {
            var options = RestoreOptions(target: target)
            options.includes = includes
            say("restoring \(includes.isEmpty ? snapshot.paths.joined(separator: ", ") : includes.joined(separator: ", ")) of \(source) from snapshot \(id.shortHex)")
            let summary = try Restorer(repository: repository, snapshot: snapshot, options: options).run()
            if let problem = summary.problems.first { throw SystemRestoreRefusal("\(source): \(problem)") }
            let verified = try RestoreVerifier(repository: repository, snapshot: snapshot, options: options, checksMetadata: true).run()
            if let mismatch = verified.mismatches.first {
                throw SystemRestoreRefusal("\(source): restored file differs from the snapshot: \(mismatch)")
            }
            recorder.ended(token, nil)
            return DrillReport.Item(source: source, snapshot: id.hex, snapshotTime: snapshot.date, kind: "files",
                                    name: includes.isEmpty ? snapshot.paths.joined(separator: ", ") : includes.joined(separator: ", "),
                                    files: summary.files, bytes: summary.bytes, seconds: Date().timeIntervalSince(started),
                                    verified: "\(verified.filesChecked) files match the snapshot's hashes and metadata")
        } catch {
            recorder.ended(token, String(describing: error))
            throw error
        }
    }

    private func restoreDatabase(_ source: String, _ id: SnapshotID, _ snapshot: Snapshot, database: String, as name: String,
                                 server: ConnectionTarget) throws -> DrillReport.Item {
        let token = recorder.began("database/\(database)")
        let started = Date()
        do {
            say("restoring database \(database) of \(source) from snapshot \(id.shortHex) as \(name)")
            var options = DatabaseRestoreOptions(database: database, server: server)
            options.mode = .fresh
            options.newName = name
            let restored = try DatabaseRestorer(repository: repository, snapshot: snapshot, options: options).run()
            recorder.ended(token, nil)
            return DrillReport.Item(source: source, snapshot: id.hex, snapshotTime: snapshot.date, kind: "database", name: name,
                                    files: 0, bytes: 0, seconds: Date().timeIntervalSince(started),
                                    verified: "\(restored.tablesVerified) tables, \(restored.rowsVerified) rows match the manifest")
        } catch {
            recorder.ended(token, String(describing: error))
            throw error
        }
    }

    private func server(_ source: SourceSettings) throws -> ConnectionTarget {
        guard case .postgres(let postgres) = source.kind else { throw SystemRestoreRefusal("source \(source.name) is not a postgres source") }
        return try ConfiguredRun.server(of: postgres, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    /// Removes the sandbox and drops the drill's databases; returns what it could not remove.
    private func cleanUp(_ sandbox: String, _ databases: [(server: ConnectionTarget, name: String, original: String)]) -> [String] {
        var left: [String] = []
        for database in databases {
            do { try DatabaseSwapBack.dropStaging(database.name, server: database.server) } catch { left.append("database \(database.name): \(error)") }
        }
        do {
            if SystemRestoreRun.exists(sandbox) { try FileManager.default.removeItem(atPath: sandbox) }
        } catch {
            left.append("\(sandbox): \(error)")
        }
        return left
    }

    static func variableName(_ database: String) -> String {
        String(database.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }
}

/// The temporary name of a drill's database: `silo_drill_<name>_<id>`, within PostgreSQL's 63 bytes.
enum DatabaseSwapBackName {
    static func drill(_ database: String, id: String) throws -> String {
        let name = "silo_drill_\(database)_\(id)"
        guard name.utf8.count <= 63 else {
            throw SystemRestoreRefusal("database \(database): its drill name \(name) is longer than PostgreSQL's 63 bytes")
        }
        return name
    }
}
