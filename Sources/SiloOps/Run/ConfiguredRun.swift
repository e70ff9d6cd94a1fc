import Foundation
import SiloConfig
import SiloEngine
import SiloFormat
import SiloPostgres
import SiloRepository

/// `silo run`: everything a configuration says is due, in this order — the run's before hooks;
/// database dumps; file sources (each between its own hooks); retention (forget, the
/// configuration saved, prune when due); each off-site copy (with its retention, and its prune
/// when due); the due checks; the run's after or on-failure hooks. Every step is recorded in
/// the run history as it begins and ends.
///
/// A failed source does not stop the others, and the copies still send what succeeded; a
/// failure is recorded and named, and the run goes on with what does not depend on it.
public final class ConfiguredRun: @unchecked Sendable {
    private let configuration: Configuration
    private let plan: RunPlan
    private let session: RunSession
    private let opener: RepositoryOpening
    private let reporter: RunReporter
    private let now: @Sendable () -> Date
    /// Snapshots take their time from the clock only when it is overridden (tests simulate days).
    private let snapshotTime: (@Sendable () -> Date)?
    private let host: String
    private let environment: [String: String]

    private var steps: [StepReport] = []
    private var firstError: Error?

    public init(configuration: Configuration, plan: RunPlan, session: RunSession, opener: RepositoryOpening, reporter: RunReporter,
                host: String = Host.name, environment: [String: String] = ProcessInfo.processInfo.environment,
                now: @escaping @Sendable () -> Date = { Date() }, snapshotTime: (@Sendable () -> Date)? = nil) {
        self.configuration = configuration
        self.plan = plan
        self.session = session
        self.opener = opener
        self.reporter = reporter
        self.host = host
        self.environment = environment
        self.now = now
        self.snapshotTime = snapshotTime
    }

    public func execute() -> RunOutcome {
        let hookEnvironment = ["SILO_RUN_ID": String(session.run), "SILO_CONFIG": ConfigurationIdentity.key(for: configuration.file),
                               "SILO_REPOSITORY": configuration.repository.location]
        switch runHooks(configuration.hooks.before, phase: "before", source: nil, environment: hookEnvironment) {
        case .skip:
            return RunOutcome(status: .skipped, steps: steps, firstError: nil)
        case .failed:
            return finishing(hookEnvironment)
        case .succeeded:
            break
        }
        let main: Repository
        do {
            main = try opener.open(location: configuration.repository.location, password: configuration.repository.password,
                                   cacheDirectory: configuration.repository.cacheDirectory)
        } catch {
            // Nothing can be backed up; the step says why (wrong password, no repository).
            record(.backup, RunPlan.StepName.repository) { _ in throw error }
            return finishing(hookEnvironment)
        }
        var backedUp: [SourceSettings] = []
        for work in plan.sources where work.due.isDue {
            if backUp(work.source, into: main, hookEnvironment) { backedUp.append(work.source) }
        }
        for source in backedUp { forget(source.seriesTag, policy: configuration.retention.policy(for: source), in: main, name: source.name) }
        // Saved with each run that made snapshots: a run that only found nothing due adds nothing.
        if plan.only.isEmpty && !backedUp.isEmpty && saveConfiguration(into: main) {
            forget(ConfigurationArchive.seriesTag, policy: configuration.retention.policy, in: main, name: ConfigurationArchive.seriesTag)
        }
        if plan.prune.isDue { prune(main, name: RunPlan.StepName.repository) }
        for work in plan.copies where work.due.isDue || work.prune.isDue {
            copy(main, work)
        }
        check(main)
        return finishing(hookEnvironment)
    }

    // MARK: Steps

    /// The run's end: its status from its steps, then the after hooks (success) or the
    /// on-failure hooks (failure), which see `SILO_ERROR`.
    private func finishing(_ hookEnvironment: [String: String]) -> RunOutcome {
        var status = overallStatus
        if status.isSuccess {
            if case .failed = runHooks(configuration.hooks.after, phase: "after", source: nil, environment: hookEnvironment) { status = .failed }
        }
        if status == .failed {
            let error = steps.first { $0.status.isFailure }.map { "\($0.kind.rawValue) \($0.name): \($0.error ?? $0.status.rawValue)" } ?? "failed"
            _ = runHooks(configuration.hooks.onFailure, phase: "on_failure", source: nil,
                         environment: hookEnvironment.merging(["SILO_ERROR": error]) { $1 })
        }
        return RunOutcome(status: status, steps: steps, firstError: firstError)
    }

    private var overallStatus: RunStatus {
        if steps.contains(where: { $0.status.isFailure }) { return .failed }
        if steps.contains(where: { $0.status == .partial }) { return .partial }
        return .succeeded
    }

    /// One source: its before hooks (exit 75 skips it), the dump or backup, its after or
    /// on-failure hooks. True when a snapshot was made.
    private func backUp(_ source: SourceSettings, into repository: Repository, _ hookEnvironment: [String: String]) -> Bool {
        let environment = hookEnvironment.merging(["SILO_SOURCE": source.name]) { $1 }
        switch runHooks(source.hooks.before, phase: "before", source: source.name, environment: environment) {
        case .skip:
            let report = StepReport(kind: source.isDatabase ? .dump : .backup, name: source.name, status: .skipped, seconds: 0,
                                    line: "skipped: a before hook exited \(Hook.skipExitStatus)")
            recordSkipped(report)
            return false
        case .failed:
            _ = runHooks(source.hooks.onFailure, phase: "on_failure", source: source.name,
                         environment: environment.merging(["SILO_ERROR": "a before hook failed"]) { $1 })
            return false
        case .succeeded:
            break
        }
        let made = record(source.isDatabase ? .dump : .backup, source.name) { report in
            try self.snapshot(source, into: repository, report: &report)
        }
        if made {
            _ = runHooks(source.hooks.after, phase: "after", source: source.name, environment: environment)
        } else {
            let error = steps.last?.error ?? "failed"
            _ = runHooks(source.hooks.onFailure, phase: "on_failure", source: source.name,
                         environment: environment.merging(["SILO_ERROR": error]) { $1 })
        }
        return made
    }

    private func snapshot(_ source: SourceSettings, into repository: Repository, report: inout StepReport) throws {
        var options = BackupOptions(paths: [], host: host)
        switch source.kind {
        case .paths(let paths):
            options = BackupOptions(paths: paths.paths, host: host)
            options.excludes = paths.exclude + (try paths.excludeFiles.flatMap(Self.excludePatterns))
            options.oneFileSystem = paths.oneFileSystem
            options.excludeCaches = paths.excludeCaches
            options.excludeIfPresent = paths.excludeIfPresent
        case .postgres(let postgres):
            options.streams = try PostgresBackup.streams(for: [try Self.server(of: postgres, environment: environment)])
        }
        options.tags = source.tags + [source.seriesTag]
        options.time = snapshotTime?()
        options.countTotals = false
        let requestsBefore = repository.store.requestCount
        let archiver = try Archiver(repository: repository, options: options) { warning in
            self.reporter.warning("\(source.name): \(warning.description)")
        }
        let result = try archiver.run()
        let summary = result.snapshot.summary
        report.snapshot = result.id.hex
        report.bytesAdded = Int64(summary.rawBytesAdded)
        report.bytesAddedStored = Int64(summary.bytesAdded)
        report.storageRequests = Self.requests(since: requestsBefore, repository)
        report.status = result.warnings.isEmpty ? .succeeded : .partial
        if !result.warnings.isEmpty { report.error = "\(result.warnings.count) file(s) could not be read: \(result.warnings[0].description)" }
        report.details = StepDetails.json(["files_new": summary.filesNew, "files_changed": summary.filesChanged,
                                           "files_unmodified": summary.filesUnmodified, "total_bytes": summary.totalBytes,
                                           "warnings": result.warnings.count])
        report.line = "snapshot \(result.id.shortHex): \(summary.filesNew) new, \(summary.filesChanged) changed, \(summary.filesUnmodified) unmodified files"
            + "; added \(Self.bytes(summary.rawBytesAdded)) (\(Self.bytes(summary.bytesAdded)) stored)"
    }

    /// Retention of one series (a source's snapshots of this host) in `repository`.
    private func forget(_ tag: String, policy: KeepPolicy, in repository: Repository, name: String, copy: String? = nil) {
        guard policy.keepsSomething else { return }
        record(.forget, copy.map { "\($0)/\(name)" } ?? name) { report in
            let removed = try Self.applyRetention(policy, series: tag, host: self.host, in: repository)
            report.details = StepDetails.json(["kept": removed.kept, "removed": removed.removed])
            report.line = "\(removed.kept) kept, \(removed.removed) removed"
        }
    }

    /// Removes the snapshots of the series `tag` of `host` that `policy` does not keep.
    static func applyRetention(_ policy: KeepPolicy, series tag: String, host: String, in repository: Repository) throws -> (kept: Int, removed: Int) {
        let series = try repository.snapshots().filter { $0.snapshot.host == host && $0.snapshot.tags.contains(tag) }
        let decisions = policy.retentionPolicy.apply(to: series)
        // A policy with a count keeps the newest snapshot at least; never empty a series.
        guard decisions.contains(where: \.keep) else { return (0, 0) }
        var removed = 0
        for decision in decisions where !decision.keep {
            try repository.removeSnapshot(decision.id)
            removed += 1
        }
        return (decisions.count - removed, removed)
    }

    /// Saves the configuration and the run history, unless the repository already holds this
    /// configuration saved less than `ConfigurationArchive.refreshInterval` ago: the
    /// saved copy is what a bare machine recovers, and re-saving an unchanged configuration with
    /// a few more history rows at every 4-hourly run would cost each run a snapshot (about a
    /// third of an unchanged run's time). Returns whether a new snapshot was written.
    private func saveConfiguration(into repository: Repository) -> Bool {
        var saved = false
        record(.configuration, RunPlan.StepName.repository) { report in
            let digest = ConfigurationArchive.digest(of: self.configuration)
            let clock = self.now()
            if let previous = try self.lastSavedConfiguration(), previous.digest == digest,
               clock.timeIntervalSince(previous.savedAt) < ConfigurationArchive.refreshInterval,
               let id = SnapshotID(hex: previous.snapshot), try repository.containsSnapshot(id) {
                report.snapshot = previous.snapshot
                report.details = StepDetails.json(["configuration_sha256": digest, "saved_at_ms": RunHistory.milliseconds(previous.savedAt),
                                                   "unchanged": true])
                report.line = "configuration unchanged, already saved as snapshot \(id.shortHex) (the run history is saved again daily)"
                return
            }
            let id = try ConfigurationArchive.save(self.configuration, history: self.session.history, run: self.session.run, into: repository,
                                                   host: self.host, time: self.snapshotTime?())
            saved = true
            report.snapshot = id.hex
            report.details = StepDetails.json(["configuration_sha256": digest, "saved_at_ms": RunHistory.milliseconds(clock), "unchanged": false])
            report.line = "configuration (secrets removed) and run history saved as snapshot \(id.shortHex)"
        }
        return saved
    }

    /// The last saved configuration this configuration's history records: its digest, when it
    /// was written (an unchanged step carries the original time forward) and its snapshot.
    private func lastSavedConfiguration() throws -> (digest: String, savedAt: Date, snapshot: String)? {
        guard let step = try session.history.lastSuccess(kind: .configuration, name: RunPlan.StepName.repository,
                                                         configuration: session.configurationKey),
              let snapshot = step.snapshot, let text = step.details,
              let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let digest = object["configuration_sha256"] as? String, let savedAt = (object["saved_at_ms"] as? NSNumber)?.int64Value
        else { return nil }
        return (digest, RunHistory.date(savedAt), snapshot)
    }

    private func prune(_ repository: Repository, name: String) {
        record(.prune, name) { report in
            let requestsBefore = repository.store.requestCount
            let result = try Pruner(repository: repository, options: PruneOptions()) { message in
                if message.hasPrefix("warning: ") { self.reporter.warning(String(message.dropFirst(9))) }
            }.run()
            report.storageRequests = Self.requests(since: requestsBefore, repository)
            report.details = StepDetails.json(["packs_deleted": result.packsDeleted, "bytes_freed": result.bytesFreed,
                                               "packs_repacked": result.packsRepacked, "packs_waiting": result.packsWaiting])
            report.line = "freed \(Self.bytes(result.bytesFreed)): \(result.packsDeleted) pack(s) deleted, \(result.packsRepacked) repacked"
                + (result.packsWaiting > 0 ? ", \(result.packsWaiting) wait for a later prune" : "")
        }
    }

    /// Sends every snapshot the copy lacks (what succeeded today, and what an earlier copy
    /// missed), applies the retention there, and prunes it when due.
    private func copy(_ main: Repository, _ work: RunPlan.CopyWork) {
        let copy = work.copy
        let destination: Repository
        do {
            destination = try opener.open(location: copy.location, password: copy.password, cacheDirectory: configuration.repository.cacheDirectory)
        } catch {
            // The copy's failure, or its prune's when only that was due.
            record(work.due.isDue ? .copy : .prune, copy.name) { _ in throw error }
            return
        }
        if work.due.isDue {
            record(.copy, copy.name) { report in
                let requestsBefore = (main.store.requestCount ?? 0) + (destination.store.requestCount ?? 0)
                let copier = try SnapshotCopier(from: main, to: destination)
                defer { copier.release() }
                let (toCopy, present) = copier.plan(try main.snapshots())
                var damaged: [String] = []
                for (id, snapshot) in toCopy {
                    do {
                        _ = try copier.copy(id, snapshot)
                    } catch let error as RepositoryError where error.code == .integrity {
                        damaged.append(id.shortHex)
                        self.reporter.warning("\(copy.name): snapshot \(id.shortHex) was not copied: \(error.message)")
                    }
                }
                let totals = copier.totals
                report.bytesAdded = Int64(totals.rawBytesSent)
                report.bytesAddedStored = Int64(totals.storedBytesSent)
                let requestsAfter = (main.store.requestCount ?? 0) + (destination.store.requestCount ?? 0)
                if main.store.requestCount != nil || destination.store.requestCount != nil { report.storageRequests = Int64(requestsAfter - requestsBefore) }
                report.details = StepDetails.json(["snapshots_copied": toCopy.count - damaged.count, "snapshots_skipped": present.count,
                                                   "snapshots_not_copied": damaged, "blobs_sent": totals.blobsSent])
                report.line = "copied \(toCopy.count - damaged.count) snapshot(s), \(present.count) already there; sent \(Self.bytes(totals.storedBytesSent))"
                if !damaged.isEmpty {
                    throw RepositoryError(.integrity, "\(damaged.count) damaged snapshot(s) not copied: \(damaged.joined(separator: ", "))")
                }
            }
            for source in configuration.sources {
                forget(source.seriesTag, policy: configuration.retention.policy(for: source), in: destination, name: source.name, copy: copy.name)
            }
            forget(ConfigurationArchive.seriesTag, policy: configuration.retention.policy, in: destination,
                   name: ConfigurationArchive.seriesTag, copy: copy.name)
        }
        if work.prune.isDue { prune(destination, name: copy.name) }
    }

    /// The structure check and the rotation's next group of packs read back, when due; one
    /// pass of the checker does both when both are due.
    private func check(_ repository: Repository) {
        let readData = plan.readData.isDue
        guard readData || plan.structureCheck.isDue else { return }
        let name = readData ? RunPlan.StepName.readDataCheck : RunPlan.StepName.structureCheck
        record(.check, name) { report in
            var options = CheckOptions()
            if readData { options.readDataGroup = self.plan.readDataGroup }
            let result = try Checker(repository: repository, options: options).run()
            var details: [String: Any] = ["snapshots": result.snapshots, "packs": result.packs, "errors": result.errors.count]
            if readData {
                details["group"] = self.plan.readDataGroup.description
                details["packs_read"] = result.packsRead
                details["bytes_read"] = result.bytesRead
            }
            report.details = StepDetails.json(details)
            report.line = "checked \(result.snapshots) snapshots, \(result.packs) packs"
                + (readData ? "; read group \(self.plan.readDataGroup) (\(result.packsRead) packs, \(Self.bytes(result.bytesRead)))" : "")
            guard result.isClean else {
                throw RepositoryError(.integrity, "\(result.errors.count) error(s) found, the first: \(result.errors[0]) (run `silo check` for all)")
            }
        }
        // The read-data pass checked the structure too: that check is done as well.
        if readData && plan.structureCheck.isDue, let last = steps.last, last.kind == .check, last.status == .succeeded {
            record(.check, RunPlan.StepName.structureCheck) { report in
                report.line = "done with the read-data check"
            }
        }
    }

    // MARK: Hooks

    private enum HookVerdict { case succeeded, skip, failed }

    /// Runs `hooks` in order, each recorded as a step; stops at the first that fails or asks to
    /// skip (exit 75; only a `before` hook may skip — elsewhere 75 is a failure like any other).
    private func runHooks(_ hooks: [Hook], phase: String, source: String?, environment: [String: String]) -> HookVerdict {
        for hook in hooks {
            let name = source.map { "\($0) \(phase)" } ?? phase
            let started = Date()
            let stepID = try? session.beginStep(.hook, name: name)
            reporter.stepBegan(.hook, name: name)
            let result = HookRunner.run(hook, environment: environment.merging(["SILO_HOOK": phase]) { $1 })
            var report = StepReport(kind: .hook, name: name, status: .succeeded, details: StepDetails.json(["command": hook.command]),
                                    seconds: Date().timeIntervalSince(started), line: "\(hook.command): \(result.description)")
            let verdict: HookVerdict
            switch result {
            case .succeeded:
                verdict = .succeeded
            case .skipRequested where phase == "before":
                report.status = .skipped
                verdict = .skip
            default:
                report.status = .failed
                report.error = "hook `\(hook.command)` \(result.description)"
                firstError = firstError ?? HookFailure(message: report.error!)
                verdict = .failed
            }
            if let stepID { try? session.endStep(stepID, report.outcome) }
            steps.append(report)
            reporter.stepEnded(report)
            if verdict != .succeeded { return verdict }
        }
        return .succeeded
    }

    // MARK: Recording

    /// Runs `body` as one recorded step: begun in the history, ended with what `body` filled
    /// into the report, or failed with the error it threw. True when it succeeded (or was partial).
    @discardableResult
    private func record(_ kind: StepKind, _ name: String, _ body: (inout StepReport) throws -> Void) -> Bool {
        let started = Date()
        let stepID = try? session.beginStep(kind, name: name)
        reporter.stepBegan(kind, name: name)
        var report = StepReport(kind: kind, name: name, status: .succeeded, seconds: 0, line: "")
        do {
            try body(&report)
        } catch {
            report.status = .failed
            report.error = Self.oneLine(error)
            report.line = report.error!
            firstError = firstError ?? error
        }
        report.seconds = Date().timeIntervalSince(started)
        if let stepID { try? session.endStep(stepID, report.outcome) }
        steps.append(report)
        reporter.stepEnded(report)
        return report.status.isSuccess
    }

    private func recordSkipped(_ report: StepReport) {
        if let id = try? session.beginStep(report.kind, name: report.name) { try? session.endStep(id, report.outcome) }
        steps.append(report)
        reporter.stepEnded(report)
    }

    // MARK: Helpers

    private static func requests(since before: Int?, _ repository: Repository) -> Int64? {
        guard let after = repository.store.requestCount else { return nil }
        return Int64(after - (before ?? 0))
    }

    static func oneLine(_ error: Error) -> String {
        String(describing: error).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " | ")
    }

    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count), unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }

    /// `exclude_files`: one pattern a line, `#` comments and blank lines dropped.
    static func excludePatterns(_ file: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw RepositoryError(.invalidArgument, "cannot read exclude file \(file)")
        }
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The server a postgres source names, its password resolved as configured (never in argv).
    public static func server(of postgres: PostgresSource, environment: [String: String]) throws -> ConnectionTarget {
        var environment = environment
        if let password = try databasePassword(postgres.password, environment: environment) { environment["DB_PASSWORD"] = password }
        return try ConnectionTarget(url: postgres.url, environment: environment)
    }

    /// The database password as configured: a value, a file (less its final line ending) or an
    /// environment variable read now.
    public static func databasePassword(_ password: DatabasePassword?, environment: [String: String]) throws -> String? {
        switch password {
        case nil: return nil
        case .value(let value): return value
        case .environment(let name): return environment[name]
        case .file(let path):
            guard var text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RepositoryError(.wrongPassword, "cannot read the database password file \(path)")
            }
            if text.hasSuffix("\n") { text.removeLast() }
            if text.hasSuffix("\r") { text.removeLast() }
            return text
        }
    }
}

/// A hook failed: its own type, so that the CLI does not take it for a repository error.
public struct HookFailure: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

extension KeepPolicy {
    /// The engine's form of the configuration's keep rules.
    public var retentionPolicy: RetentionPolicy {
        var policy = RetentionPolicy()
        policy.last = last
        policy.counts = [.hourly: hourly, .daily: daily, .weekly: weekly, .monthly: monthly, .yearly: yearly].filter { $0.value > 0 }
        policy.within = within.flatMap(RetentionDuration.init(parsing:))
        return policy
    }
}
