import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloOps
import SiloPostgres
import SiloRepository

/// Where a restore's (or a drill's) steps go as they begin and end: the run history, through
/// the caller's session. `ended` gets the error, nil for success.
public struct StepRecorder {
    public var began: (String) -> Int64?
    public var ended: (Int64?, String?) -> Void

    public init(began: @escaping (String) -> Int64? = { _ in nil }, ended: @escaping (Int64?, String?) -> Void = { _, _ in }) {
        self.began = began
        self.ended = ended
    }

    /// Steps of `kind` in `session`'s run.
    public init(session: RunSession) {
        self.init(began: { try? session.beginStep(.restore, name: $0) },
                  ended: { id, error in
                      guard let id else { return }
                      try? session.endStep(id, StepOutcome(status: error == nil ? .succeeded : .failed, error: error))
                  })
    }
}

/// Carries out a `SystemRestorePlan`: verify, stop (lowest tier first), databases (critical
/// first), files, start (highest tier first, each tier healthy before the next). Any failure
/// rolls back everything swapped so far and starts the services again. Each step is reconciled
/// with the system before it acts, so `execute` also resumes a journal a killed restore left.
public final class SystemRestoreRun: @unchecked Sendable {
    private let configuration: Configuration
    private let repository: Repository?
    private let store: RestoreJournalStore
    private let environment: [String: String]
    private let say: (String) -> Void
    public private(set) var journal: RestoreJournal
    /// Steps recorded in the history as they begin and end (the caller's run session).
    private let recorder: StepRecorder

    /// `repository` may be nil for a rollback (nothing is read from it then).
    public init(journal: RestoreJournal, configuration: Configuration, repository: Repository?, store: RestoreJournalStore,
                environment: [String: String] = [:], say: @escaping (String) -> Void = { _ in },
                recorder: StepRecorder = StepRecorder()) {
        self.journal = journal
        self.configuration = configuration
        self.repository = repository
        self.store = store
        self.environment = environment
        self.say = say
        self.recorder = recorder
    }

    private var plan: SystemRestorePlan { journal.plan }
    private var id: String { plan.id }

    // MARK: the restore

    /// Runs (or resumes) the restore to its end: `succeeded`, or rolled back after a failure.
    public func execute() -> RestoreJournal {
        do {
            if [.planned, .verifying].contains(journal.phase) { try step("verify", .verifying) { try verify() } }
            if [.verifying, .stopping].contains(journal.phase) || journal.phase == .planned { try step("stop", .stopping) { try stopServices() } }
            if journal.phase == .stopping || journal.phase == .databases { try step("databases", .databases) { try restoreDatabasesWhileStagingFiles() } }
            if journal.phase == .databases || journal.phase == .files { try step("files", .files) { try restoreFiles() } }
            if journal.phase == .files || journal.phase == .starting { try step("start", .starting) { try startServices() } }
            journal.phase = .succeeded
            journal.ended = Date()
            save()
        } catch {
            journal.failure = journal.failure ?? String(describing: error)
            say("restore failed: \(journal.failure!)")
            if journal.phase == .verifying {
                // Nothing was touched: nothing to undo.
                journal.phase = .rolledBack
                journal.rollbackNotes.append("nothing was changed: the restore stopped before stopping any service")
                journal.ended = Date()
                save()
            } else {
                rollback()
            }
        }
        return journal
    }

    private func step(_ name: String, _ phase: RestoreJournal.Phase, _ body: () throws -> Void) throws {
        journal.phase = phase
        save()
        let started = Date()
        say("\(name)…")
        let token = recorder.began(name)
        do {
            try body()
        } catch {
            journal.timings.append(.init(step: name, seconds: Date().timeIntervalSince(started)))
            recorder.ended(token, String(describing: error))
            throw error
        }
        let seconds = Date().timeIntervalSince(started)
        journal.timings.append(.init(step: name, seconds: seconds))
        save()
        recorder.ended(token, nil)
        say(String(format: "%@: %.2f s", name, seconds))
        crashPoint("after-\(name)")
    }

    private func verify() throws {
        guard let repository else { throw SystemRestoreRefusal("no repository to verify against") }
        let missing = Set(try repository.syncPackListing())
        var gaps: [String] = []
        for group in Dictionary(grouping: plan.paths, by: \.snapshot) {
            let snapshot = try repository.loadSnapshot(try Self.snapshotID(group.key))
            let readiness = try RestoreReadiness(repository: repository, snapshot: snapshot, includes: group.value.map(\.path),
                                                 readData: plan.verifyData, missingPacks: missing)
            gaps += readiness.gaps.map(\.description)
        }
        for group in Dictionary(grouping: plan.databases, by: \.snapshot) {
            let snapshot = try repository.loadSnapshot(try Self.snapshotID(group.key))
            let includes = group.value.flatMap { [SnapshotLayout.dumpPath($0.database), SnapshotLayout.manifestPath($0.database)] }
            let readiness = try RestoreReadiness(repository: repository, snapshot: snapshot, includes: includes, readData: plan.verifyData, missingPacks: missing)
            gaps += readiness.gaps.map(\.description)
        }
        guard gaps.isEmpty else {
            throw SystemRestoreRefusal("the backup cannot be restored whole (\(gaps.count) problem(s), first: \(gaps[0])): nothing was touched; run `silo check` and `silo repair`")
        }
    }

    private func stopServices() throws {
        for service in plan.stopOrder where !journal.stopped.contains(service.name) {
            let control = try control(service.name)
            say("stopping \(service.name)")
            try control.stop()
            journal.stopped.append(service.name)
            save()
            crashPoint("after-stop:\(service.name)")
        }
    }

    /// The databases, and meanwhile on a thread of its own the files' staging: staging writes only
    /// beside the live paths, so it can overlap the databases' restore, which leaves the files
    /// step with nothing but renames. The journal is shared under a lock.
    private func restoreDatabasesWhileStagingFiles() throws {
        let pending = plan.paths.filter { item in read { $0.paths[item.path] } == .pending }
        let staged = DispatchGroup()
        let stagingFailure = FailureBox()
        if !pending.isEmpty {
            DispatchQueue.global().async(group: staged) {
                do {
                    for item in pending { try self.stageRecorded(item) }
                } catch {
                    stagingFailure.error = error
                }
            }
        }
        var databaseFailure: Error?
        do { try restoreDatabases() } catch { databaseFailure = error }
        staged.wait()
        if let error = databaseFailure ?? stagingFailure.error { throw error }
    }

    /// Critical services' databases first.
    private func restoreDatabases() throws {
        let ordered = plan.databases.enumerated().sorted {
            (ServiceSettings.Priority(rawValue: $0.element.priority)?.rank ?? 9, $0.offset) < (ServiceSettings.Priority(rawValue: $1.element.priority)?.rank ?? 9, $1.offset)
        }.map(\.element)
        for item in ordered {
            try reconcile(item)
            guard read({ $0.databases[item.database] }) == .pending else { continue }
            guard let repository else { throw SystemRestoreRefusal("no repository to restore from") }
            let server = try self.server(for: item)
            if read({ $0.databaseExisted[item.database] }) == nil {
                let exists = try DatabaseSwapBack.exists(item.database, server: server)
                mutate { $0.databaseExisted[item.database] = exists }
            }
            say("restoring database \(item.database) from snapshot \(item.snapshot.prefix(8))")
            var options = DatabaseRestoreOptions(database: item.database, server: server)
            options.mode = .replace
            options.now = plan.created
            let snapshot = try repository.loadSnapshot(try Self.snapshotID(item.snapshot))
            let report = try DatabaseRestorer(repository: repository, snapshot: snapshot, options: options, warn: { warning in self.mutate { $0.warnings.append(warning) } }).run()
            crashPoint("after-swap-database:\(item.database)")
            let keptName = item.kept(id)
            mutate { journal in
                if let previous = report.previous, previous != keptName {
                    journal.warnings.append("database \(item.database): the previous copy was kept as \(previous)")
                }
                journal.databases[item.database] = .swapped
            }
        }
    }

    /// A database whose swap happened but was not recorded (killed in between) is swapped; a
    /// staging database left half-restored is dropped so the restore can start it again.
    private func reconcile(_ item: SystemRestorePlan.DatabaseItem) throws {
        guard read({ $0.databases[item.database] }) == .pending, let existed = read({ $0.databaseExisted[item.database] }) else { return }
        let server = try self.server(for: item)
        let keptExists = try DatabaseSwapBack.exists(item.kept(id), server: server)
        let stagingExists = try DatabaseSwapBack.exists(item.staging, server: server)
        let liveExists = try DatabaseSwapBack.exists(item.database, server: server)
        if keptExists || (!existed && !stagingExists && liveExists) {
            mutate { $0.databases[item.database] = .swapped }
        } else if stagingExists {
            try DatabaseSwapBack.dropStaging(item.staging, server: server)
        }
    }

    private func restoreFiles() throws {
        for item in plan.paths {
            if read({ $0.paths[item.path] }) == .pending { try stageRecorded(item) }
            if journal.paths[item.path] == .staged {
                try swapIn(item)
                journal.paths[item.path] = .swapped
                save()
                removeStaging(item)
            }
        }
    }

    /// Restores the path into its staging directory beside the original (same file system, so
    /// the swap is a rename). A staging directory a killed restore left is removed first.
    private func stage(_ item: SystemRestorePlan.PathItem) throws {
        guard let repository else { throw SystemRestoreRefusal("no repository to restore from") }
        removeStaging(item)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: item.staging).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        say("restoring \(item.path) from snapshot \(item.snapshot.prefix(8))")
        var options = RestoreOptions(target: item.staging)
        options.includes = [item.path]
        let snapshot = try repository.loadSnapshot(try Self.snapshotID(item.snapshot))
        let summary = try Restorer(repository: repository, snapshot: snapshot, options: options).run()
        if let problem = summary.problems.first(where: \.isIntegrityFailure) ?? (summary.filesNotRestored > 0 ? summary.problems.first : nil) {
            throw SystemRestoreRefusal("\(item.path) could not be restored whole: \(problem)")
        }
        // Metadata a non-root restore cannot set (owners) is a warning, not a failure.
        mutate { $0.warnings += summary.problems.map { "\(item.path): \($0)" } }
    }

    private func stageRecorded(_ item: SystemRestorePlan.PathItem) throws {
        try stage(item)
        mutate { $0.paths[item.path] = .staged }
        crashPoint("after-stage:\(item.path)")
    }

    /// The live path moves aside to `PATH.silo-old-<id>` and the staged copy takes its place.
    /// Either rename may have happened before a crash: each is done only if still needed.
    private func swapIn(_ item: SystemRestorePlan.PathItem) throws {
        if Self.exists(item.staged) {
            if Self.exists(item.path) {
                guard rename(item.path, item.kept(id)) == 0 else {
                    throw SystemRestoreRefusal("cannot move \(item.path) aside to \(item.kept(id)): \(String(cString: strerror(errno)))")
                }
            }
            crashPoint("after-aside:\(item.path)")
            guard rename(item.staged, item.path) == 0 else {
                throw SystemRestoreRefusal("cannot move the restored \(item.path) into place: \(String(cString: strerror(errno)))")
            }
        }
        crashPoint("after-swap:\(item.path)")
    }

    private func startServices() throws {
        for tier in plan.startTiers {
            for service in tier where !journal.started.contains(service.name) {
                let control = try control(service.name)
                if control.isRunning() != true {
                    say("starting \(service.name)")
                    try control.start()
                }
                crashPoint("after-start:\(service.name)")
            }
            for service in tier where !journal.started.contains(service.name) {
                let outcomes = HealthProbe.runAll(try settings(service.name), environment: environment)
                journal.health += outcomes
                if let failed = outcomes.first(where: { !$0.passed }) {
                    throw SystemRestoreRefusal("service \(service.name) is not healthy after the restore: \(failed.check) \(failed.message) (\(failed.attempts) tries)")
                }
                journal.started.append(service.name)
                save()
            }
        }
    }

    // MARK: rollback

    /// Undoes what the journal says was done, and what the system shows was done after the
    /// journal's last word: services stopped, paths renamed back (the restored copy kept as
    /// `PATH.silo-failed-<id>`), databases swapped back (`NAME_failed_<id>`), services started
    /// again. Never deletes a restored or a live copy.
    public func rollback() {
        let failedPhase = journal.phase
        journal.phase = .rollingBack
        save()
        var problems: [String] = []
        if failedPhase == .starting || failedPhase == .succeeded || failedPhase == .cleaned {
            for service in plan.stopOrder {
                do { try control(service.name).stop() } catch { problems.append(String(describing: error)) }
            }
        }
        for item in plan.paths.reversed() {
            do { try undo(item) } catch { problems.append(String(describing: error)) }
        }
        for item in plan.databases.reversed() {
            do { try undo(item) } catch { problems.append(String(describing: error)) }
        }
        journal.started = []
        for tier in plan.startTiers {
            for service in tier {
                do {
                    let control = try control(service.name)
                    if control.isRunning() != true { try control.start() }
                    let outcomes = HealthProbe.runAll(try settings(service.name), environment: environment)
                    if let failed = outcomes.first(where: { !$0.passed }) {
                        problems.append("service \(service.name) is not healthy after the rollback: \(failed.check) \(failed.message)")
                    } else {
                        journal.started.append(service.name)
                    }
                } catch {
                    problems.append(String(describing: error))
                }
            }
        }
        journal.rollbackNotes += problems
        journal.phase = problems.isEmpty ? .rolledBack : .rollbackFailed
        journal.ended = Date()
        save()
    }

    private func undo(_ item: SystemRestorePlan.PathItem) throws {
        let state = journal.paths[item.path] ?? .pending
        defer { removeStaging(item) }
        guard state != .undone else { return }
        // Staged and recorded, then gone from staging: it is the live path now.
        let swappedIn = state != .pending && !Self.exists(item.staged) && Self.exists(item.path)
        if swappedIn {
            guard rename(item.path, item.failed(id)) == 0 else {
                throw SystemRestoreRefusal("cannot move the restored \(item.path) aside: \(String(cString: strerror(errno)))")
            }
            journal.rollbackNotes.append("\(item.path): the restored copy is kept as \(item.failed(id))")
        }
        if Self.exists(item.kept(id)) {
            guard !Self.exists(item.path), rename(item.kept(id), item.path) == 0 else {
                throw SystemRestoreRefusal("cannot rename \(item.kept(id)) back to \(item.path): \(String(cString: strerror(errno)))")
            }
            journal.rollbackNotes.append("\(item.path): put back")
        } else if swappedIn && item.existed {
            throw SystemRestoreRefusal("\(item.path): the kept copy \(item.kept(id)) is gone; the path cannot be put back")
        }
        journal.paths[item.path] = .undone
        save()
    }

    private func undo(_ item: SystemRestorePlan.DatabaseItem) throws {
        guard journal.databases[item.database] != .undone else { return }
        let server = try self.server(for: item)
        try reconcile(item)
        if try DatabaseSwapBack.exists(item.staging, server: server) { try DatabaseSwapBack.dropStaging(item.staging, server: server) }
        guard journal.databases[item.database] == .swapped else {
            journal.databases[item.database] = .undone
            save()
            return
        }
        let keptExists = try DatabaseSwapBack.exists(item.kept(id), server: server)
        if !keptExists && journal.databaseExisted[item.database] != false {
            throw SystemRestoreRefusal("database \(item.database): the kept copy \(item.kept(id)) is gone; it cannot be swapped back")
        }
        try DatabaseSwapBack.undo(live: item.database, previous: keptExists ? item.kept(id) : nil, failed: item.failed(id), server: server)
        journal.rollbackNotes.append("database \(item.database): swapped back; the restored copy is kept as \(item.failed(id))")
        journal.databases[item.database] = .undone
        save()
    }

    // MARK: helpers

    /// The journal is written whole after every change; the lock lets the staging thread and
    /// the databases' restore change it at the same time.
    private let journalLock = NSRecursiveLock()

    private func save() {
        journalLock.withLock {
            do {
                try store.write(journal)
            } catch {
                say("warning: \(error)")
            }
        }
    }

    private func mutate(_ change: (inout RestoreJournal) -> Void) {
        journalLock.withLock {
            change(&journal)
            save()
        }
    }

    private func read<T>(_ value: (RestoreJournal) -> T) -> T { journalLock.withLock { value(journal) } }

    private func settings(_ name: String) throws -> ServiceSettings {
        guard let settings = configuration.service(named: name) else {
            throw SystemRestoreRefusal("service \(name) of the restore is no longer in the configuration \(configuration.file)")
        }
        return settings
    }

    private func control(_ name: String) throws -> ServiceControl { ServiceControl(try settings(name), environment: environment) }

    private func server(for item: SystemRestorePlan.DatabaseItem) throws -> ConnectionTarget {
        guard let source = configuration.source(named: item.source), case .postgres(let postgres) = source.kind else {
            throw SystemRestoreRefusal("source \(item.source) of database \(item.database) is no longer a postgres source of the configuration")
        }
        return try ConfiguredRun.server(of: postgres, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    private func removeStaging(_ item: SystemRestorePlan.PathItem) {
        if Self.exists(item.staging) { try? FileManager.default.removeItem(atPath: item.staging) }
    }

    static func snapshotID(_ hex: String) throws -> SnapshotID {
        guard let id = SnapshotID(hex: hex) else { throw SystemRestoreRefusal("the journal names snapshot '\(hex)', which is not a snapshot ID") }
        return id
    }

    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Fault injection for the crash tests: `SILO_TEST_CRASH_AT=<point>` kills the process
    /// (SIGKILL, as kill -9 would) at that point. Never set outside tests.
    private func crashPoint(_ name: String) {
        if environment["SILO_TEST_CRASH_AT"] ?? ProcessInfo.processInfo.environment["SILO_TEST_CRASH_AT"] == name { kill(getpid(), SIGKILL) }
    }
}

/// An error from the staging thread, read after it is joined.
private final class FailureBox: @unchecked Sendable {
    var error: Error?
}
