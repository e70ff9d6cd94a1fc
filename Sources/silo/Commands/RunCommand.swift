import ArgumentParser
import Foundation
import SiloConfig
import SiloOps
import SiloRepository
import SiloStorage

/// `silo run`: everything the configuration says is due (SiloOps' `ConfiguredRun` does the work,
/// in its order), under the run lock, recorded in the run history.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Do everything the configuration says is due: hooks, dumps, backups, retention, copies, checks.",
        discussion: Help.examples(["silo run", "silo run --dry-run", "silo run database", "silo run --config /etc/silo/silo.yaml --json"],
                                  note: "What is due comes from the run history: a source is backed up when its cadence has passed since its last success (a quarter of the cadence early at most, 30 minutes at most), so a run that starts late catches up and a prune or check runs once per cadence. Exit codes: 0 done (or nothing due, or skipped by a before hook exiting 75), 3 some files could not be read, 11 another run of this configuration is running, 64 the configuration is invalid, 1 (or the failure's own code: 10, 12, 13) when a step failed; 130/143 interrupted."))

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Run only these sources (backed up now, due or not), and their retention.", valueName: "source"))
    var sources: [String] = []

    @Flag(name: [.customShort("n"), .long], help: "Print the plan and what is due; touch nothing.")
    var dryRun = false

    @Flag(name: .long, help: "Do everything now, due or not.")
    var force = false

    @Flag(name: .long, help: ArgumentHelp("Record the run as started by a schedule (the generated units pass it).", visibility: .hidden))
    var scheduled = false

    func validate() throws {
        if force && !sources.isEmpty { throw ValidationError("--force runs everything; name sources or give --force, not both") }
    }

    func run() throws {
        let output = global.output
        let clock = RunClock(environment: global.environment)
        let path = global.configurationPath
        let trigger: RunTrigger = scheduled ? .schedule : .manual
        let configuration: Configuration
        do throws(ConfigurationError) {
            configuration = try ConfigurationLoader.load(path: path, environment: global.environment)
        } catch {
            ConfigCommand.report(error, output: output)
            recordConfigurationError(path: path, message: error.issues.first?.description ?? "invalid configuration", trigger: trigger, clock: clock)
            throw ExitCode(ExitCodes.usage)
        }
        if let unknown = sources.first(where: { configuration.source(named: $0) == nil }) {
            let known = configuration.sources.map(\.name).joined(separator: ", ")
            let message = "no source \(unknown) in \(configuration.file) (its sources: \(known.isEmpty ? "none" : known))"
            recordConfigurationError(path: path, message: message, trigger: trigger, clock: clock)
            output.error(message, exitCode: ExitCodes.usage)
            throw ExitCode(ExitCodes.usage)
        }
        let directory = StateDirectory.resolve(configured: configuration.state.directory, environment: global.environment)
        let key = ConfigurationIdentity.key(for: configuration.file)
        if dryRun {
            try runCommand(output) {
                // A read: no history is created where there was none.
                let exists = FileManager.default.fileExists(atPath: directory.file(RunHistory.fileName))
                let history = exists ? try RunHistory(directory: directory, now: clock.now) : nil
                let plan = try RunPlan.make(configuration: configuration, history: history, configurationKey: key, now: clock.now(),
                                            only: sources, force: force)
                RunPlanPrinter.print(plan, output: output)
                return ExitCodes.success
            }
            return
        }
        try runCommand(output) {
            let session = try RunSession.start(configuration: configuration.file, trigger: trigger, in: directory,
                                               retentionDays: configuration.state.historyDays, now: clock.now)
            let now = clock.now
            InterruptCleanup.shared.register(.records) { session.recordInterruption(signal: InterruptCleanup.shared.signal, now: now) }
            for crashed in session.crashed {
                output.warning("run #\(crashed) of this configuration was found crashed (its process is gone); recorded as crashed")
            }
            let started = Date()
            let alerts = RunAlerts(configuration: configuration, global: global, output: output, now: clock.now)
            alerts.started()
            let plan = try RunPlan.make(configuration: configuration, history: session.history, configurationKey: key, now: clock.now(),
                                        only: sources, force: force)
            if plan.nothingDue { RunPlanPrinter.print(plan, output: output, dueOnly: false) }
            let reporter = RunOutputReporter(output: output, run: session.run)
            let outcome = ConfiguredRun(configuration: configuration, plan: plan, session: session, opener: ConfiguredRepositoryOpener(global: global),
                                        reporter: reporter, now: clock.now, snapshotTime: clock.isOverridden ? clock.now : nil).execute()
            let exitCode = Self.exitCode(outcome)
            try session.finish(status: outcome.status, exitCode: exitCode, error: outcome.failedSteps.first.map(Self.describe), summary: outcome.summaryJSON)
            Self.report(outcome, run: session.run, exitCode: exitCode, crashed: session.crashed, seconds: Date().timeIntervalSince(started), output: output)
            alerts.finished(succeeded: outcome.status.isSuccess || outcome.status == .skipped,
                            summary: "run #\(session.run) \(outcome.status.rawValue): " + (outcome.failedSteps.first.map(Self.describe) ?? "\(outcome.steps.count) step(s)"),
                            history: session.history)
            return exitCode
        }
    }

    /// A configuration that cannot be run is still a run that failed: the history (and the
    /// monitoring that reads it) must see it. Where the state directory is cannot come from a
    /// configuration that does not load: the environment or the default says.
    private func recordConfigurationError(path: String, message: String, trigger: RunTrigger, clock: RunClock) {
        let directory = StateDirectory.resolve(environment: global.environment)
        guard let history = try? RunHistory(directory: directory, now: clock.now) else { return }
        _ = try? history.recordFailedRun(configuration: ConfigurationIdentity.key(for: path), trigger: trigger, status: .configError,
                                         exitCode: ExitCodes.usage, error: message)
    }

    /// 0 done or skipped; 3 partial; a failure's own code when it has a specific one (10 no
    /// repository, 12 wrong password, 13 damage found), else 1.
    static func exitCode(_ outcome: RunOutcome) -> Int32 {
        switch outcome.status {
        case .succeeded, .skipped: return ExitCodes.success
        case .partial: return ExitCodes.partial
        default:
            guard let error = outcome.firstError else { return SiloError.Code.fatal.rawValue }
            let code = SiloError(classifying: error).code
            return [.noRepository, .wrongPassword, .integrity, .unsupportedVersion, .storageNotWritable].contains(code) ? code.rawValue : SiloError.Code.fatal.rawValue
        }
    }

    static func describe(_ step: StepReport) -> String {
        "\(step.kind.rawValue) \(step.name): \(step.error ?? step.status.rawValue)"
    }

    private static func report(_ outcome: RunOutcome, run: Int64, exitCode: Int32, crashed: [Int64], seconds: Double, output: Output) {
        let failed = outcome.failedSteps
        let snapshots = outcome.steps.compactMap(\.snapshot)
        var line = "run #\(run) \(outcome.status.rawValue) in \(Format.duration(seconds)): \(outcome.steps.count) step(s), \(snapshots.count) snapshot(s)"
        if !failed.isEmpty { line += "; failed: " + failed.map { "\($0.kind.rawValue) \($0.name)" }.joined(separator: ", ") }
        if failed.isEmpty { output.line(line) } else { output.error(line) }
        output.emit(RunSummaryMessage(runId: run, status: outcome.status.rawValue, exitCode: exitCode, steps: outcome.steps.count,
                                      failed: failed.map { "\($0.kind.rawValue) \($0.name)" }, snapshots: snapshots, crashedRuns: crashed,
                                      durationSeconds: (seconds * 1000).rounded() / 1000))
    }
}

/// The run's clock: the system's, or for tests only `SILO_TEST_CLOCK` (a time such as
/// 2026-01-01T02:00:00Z), from which the run's clock starts and then advances in real time:
/// due-ness, the history's times and the snapshots' times all follow it, so that a test can
/// run thirty simulated days in seconds (docs/CONFIG.md, "Testing").
struct RunClock: Sendable {
    let isOverridden: Bool
    let now: @Sendable () -> Date

    init(environment: [String: String]) {
        guard let text = environment["SILO_TEST_CLOCK"], let start = TimeParser.parse(text) else {
            isOverridden = false
            now = { Date() }
            return
        }
        let real = Date()
        isOverridden = true
        now = { start.addingTimeInterval(Date().timeIntervalSince(real)) }
    }
}

/// The plan, for `--dry-run` and for a run that finds nothing due.
enum RunPlanPrinter {
    static func print(_ plan: RunPlan, output: Output, dueOnly: Bool = false) {
        var items: [(kind: String, name: String, due: Due)] = plan.sources.map { ($0.source.isDatabase ? "dump" : "backup", $0.source.name, $0.due) }
        items.append(("prune", RunPlan.StepName.repository, plan.prune))
        for copy in plan.copies {
            items.append(("copy", copy.copy.name, copy.due))
            items.append(("prune", copy.copy.name, copy.prune))
        }
        items.append(("check", RunPlan.StepName.structureCheck, plan.structureCheck))
        items.append(("check", "\(RunPlan.StepName.readDataCheck) \(plan.readDataGroup)", plan.readData))
        if plan.nothingDue { output.line("nothing is due") }
        for item in items {
            output.line("\(item.due.isDue ? "due " : "wait")  \(item.kind) \(item.name): \(item.due.reason)")
            output.emit(PlanItemMessage(kind: item.kind, name: item.name, due: item.due.isDue, reason: item.due.reason,
                                        next: item.due.next.map(Timestamp.iso8601)))
        }
    }
}

/// Prints each step as it ends (a line, or a `run_step` object).
final class RunOutputReporter: RunReporter, @unchecked Sendable {
    private let output: Output
    private let run: Int64

    init(output: Output, run: Int64) {
        self.output = output
        self.run = run
    }

    func stepBegan(_ kind: StepKind, name: String) {}

    func stepEnded(_ report: StepReport) {
        let text = "\(report.kind.rawValue) \(report.name): \(report.status.rawValue)" + (report.line.isEmpty ? "" : " — \(report.line)")
        if report.status.isFailure { output.error(text) } else { output.line(text) }
        output.emit(RunStepMessage(run: run, report))
    }

    func warning(_ message: String) { output.warning(message) }
}

/// Opens the configuration's repositories with the CLI's storage backends and password sources.
struct ConfiguredRepositoryOpener: RepositoryOpening {
    let global: GlobalOptions

    func open(location: String, password: RepositoryPassword?, cacheDirectory: String?) throws -> Repository {
        let store = try StoreFactory.store(for: location, caBundle: global.cacert)
        var secret: Data?
        if try Repository.needsPassword(store: store) {
            switch password {
            case .file(let path)?: secret = try PasswordPrompt.readFile(path)
            case .command(let command)?: secret = try PasswordCommand.run(command)
            case nil: secret = try global.password(prompt: "enter password for repository \(store.location): ")
            }
        }
        // --cache-dir and SILO_CACHE_DIR win over the configuration, as for every command.
        return try Repository.open(store: store, password: secret, cacheRoot: global.explicitCacheRoot ?? cacheDirectory ?? global.defaultCacheRoot)
    }
}
