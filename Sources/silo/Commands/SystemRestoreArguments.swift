import ArgumentParser
import Foundation
import SiloConfig
import SiloNotify
import SiloOps
import SiloSystem
import SiloRepository

/// `silo restore --system`: the whole platform the configuration's services describe, in the
/// seed's order, with a journal, a rollback of its own on any failure, and one command to undo
/// (docs/RESTORE.md).
struct SystemRestoreArguments: ParsableArguments {
    @Flag(name: .long, help: "Restore the services of the configuration: plan, verify, stop, databases, files, start with health checks; roll back on any failure.")
    var system = false

    @Option(name: .long, help: "With --system: each source's newest snapshot at or before this time ('YYYY-MM-DD HH:MM:SS', local time, or ISO 8601).")
    var time: String?

    @Option(name: .long, help: ArgumentHelp("With --system: only these services (repeatable, or comma-separated).", valueName: "service"))
    var only: [String] = []

    @Flag(name: .long, help: "With --system: do not ask for confirmation.")
    var yes = false

    @Flag(name: .long, help: "With --system: read and authenticate every chunk before touching anything.")
    var verifyData = false

    @Flag(name: .long, help: "With --system: undo the last system restore (its kept copies must exist).")
    var rollback = false

    @Flag(name: .long, help: "With --system: finish a system restore that was interrupted.")
    var resume = false

    @Option(name: .long, help: ArgumentHelp("With --system: remove the kept copies of finished system restores older than this many days.", valueName: "days"))
    var cleanup: Int?

    var services: [String] { only.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty } }

    var usesSystemOptions: Bool { time != nil || !only.isEmpty || yes || verifyData || rollback || resume || cleanup != nil }

    func validate(snapshot: String?, dryRun: Bool) throws {
        guard system else {
            if usesSystemOptions { throw ValidationError("--time, --only, --yes, --verify-data, --rollback, --resume and --cleanup go with --system") }
            return
        }
        let actions = [rollback, resume, cleanup != nil].filter { $0 }.count
        if actions > 1 { throw ValidationError("--rollback, --resume and --cleanup exclude each other") }
        if actions == 1 && (snapshot != nil || time != nil || !only.isEmpty || verifyData || dryRun) {
            throw ValidationError("--rollback, --resume and --cleanup act on a journal: give no snapshot, --time, --only, --verify-data or --dry-run")
        }
        if snapshot != nil && time != nil { throw ValidationError("give a snapshot or --time, not both") }
        if let time, TimeParser.parse(time) == nil { throw ValidationError("'\(time)' is not a time: use 'YYYY-MM-DD HH:MM:SS' or ISO 8601") }
        if let cleanup, cleanup < 0 { throw ValidationError("--cleanup takes a number of days, 0 or more") }
    }
}

/// What `restore --system` does with its arguments.
struct SystemRestoreCommand {
    let arguments: SystemRestoreArguments
    let global: GlobalOptions
    let snapshot: String?
    let dryRun: Bool

    func run() throws {
        let output = global.output
        let configuration = try ConfigCommand.loadOrExit(global)
        let directory = StateDirectory.resolve(configured: configuration.state.directory, environment: global.environment)
        let store = RestoreJournalStore(stateDirectory: directory.path)
        try runCommand(output) {
            if arguments.rollback { return try rollback(configuration, store, directory, output) }
            if arguments.resume { return try resume(configuration, store, directory, output) }
            if let days = arguments.cleanup { return try cleanup(days, configuration, store, output) }
            return try restore(configuration, store, directory, output)
        }
    }

    private func restore(_ configuration: Configuration, _ store: RestoreJournalStore, _ directory: StateDirectory, _ output: Output) throws -> Int32 {
        if let last = try? store.latest(), !last.phase.isFinished {
            throw SystemRestoreRefusal("system restore \(last.plan.id) did not finish (\(last.phase.rawValue)): run `silo restore --system --resume` to finish it or `--rollback` to undo it first")
        }
        let repository = try global.openRepository()
        let choice: SnapshotChoice = arguments.time.flatMap(TimeParser.parse).map { .time($0) } ?? snapshot.map { $0 == "latest" ? .latest : .snapshot($0) } ?? .latest
        // The ID names every kept copy: one per second, never reused.
        var now = Date()
        while store.ids().contains(SystemRestorePlan.stamp(now)) { now += 1 }
        let plan = try SystemRestorePlanner(configuration: configuration, repository: repository).plan(choice: choice, only: arguments.services,
                                                                                                     verifyData: arguments.verifyData, now: now)
        SystemRestoreReport.printPlan(plan, output: output)
        output.emit(SystemRestorePlanMessage(plan))
        if dryRun {
            output.line("dry run: nothing was touched")
            return ExitCodes.success
        }
        if !arguments.yes {
            guard isatty(STDIN_FILENO) == 1 else {
                throw SystemRestoreRefusal("restore --system needs confirmation: run it on a terminal, or give --yes")
            }
            FileHandle.standardError.write(Data("Stop these services and restore them now? Type 'yes' to go on: ".utf8))
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                output.line("nothing was touched")
                return ExitCodes.fatal
            }
        }
        var journal = RestoreJournal(plan: plan)
        try store.write(journal)
        journal = try execute(journal, configuration, store, directory, output, repository: repository) { $0.execute() }
        return finish(journal, configuration, output)
    }

    private func resume(_ configuration: Configuration, _ store: RestoreJournalStore, _ directory: StateDirectory, _ output: Output) throws -> Int32 {
        guard let journal = try store.latest() else { throw SystemRestoreRefusal("no system restore to resume in \(store.directory)") }
        guard !journal.phase.isFinished else {
            throw SystemRestoreRefusal("system restore \(journal.plan.id) already ended (\(journal.phase.rawValue)): nothing to resume")
        }
        if journal.phase == .rollingBack {
            output.line("system restore \(journal.plan.id) was rolling back when it stopped: finishing the rollback")
            let ended = try execute(journal, configuration, store, directory, output, repository: nil) { run in
                run.rollback()
                return run.journal
            }
            return finish(ended, configuration, output)
        }
        output.line("resuming system restore \(journal.plan.id) at \(journal.phase.rawValue)")
        let repository = try global.openRepository()
        let ended = try execute(journal, configuration, store, directory, output, repository: repository) { $0.execute() }
        return finish(ended, configuration, output)
    }

    private func rollback(_ configuration: Configuration, _ store: RestoreJournalStore, _ directory: StateDirectory, _ output: Output) throws -> Int32 {
        guard let journal = try store.latest() else { throw SystemRestoreRefusal("no system restore to roll back in \(store.directory)") }
        if journal.phase == .rolledBack { throw SystemRestoreRefusal("system restore \(journal.plan.id) was already rolled back") }
        if journal.phase == .cleaned {
            throw SystemRestoreRefusal("system restore \(journal.plan.id) can no longer be rolled back: --cleanup removed its kept copies")
        }
        output.line("rolling back system restore \(journal.plan.id) (\(journal.phase.rawValue))")
        var undo = journal
        if undo.failure == nil { undo.failure = "rolled back on request (restore --system --rollback)" }
        let ended = try execute(undo, configuration, store, directory, output, repository: nil) { run in
            run.rollback()
            return run.journal
        }
        return finish(ended, configuration, output)
    }

    private func cleanup(_ days: Int, _ configuration: Configuration, _ store: RestoreJournalStore, _ output: Output) throws -> Int32 {
        let cutoff = Date().addingTimeInterval(-Double(days) * 86_400)
        var removed: [String] = []
        for id in store.ids() {
            var journal = try store.read(id)
            guard [.succeeded, .rolledBack, .rollbackFailed].contains(journal.phase), (journal.ended ?? journal.began) < cutoff else { continue }
            removed += try RestoreCleanup.removeKeptCopies(journal, configuration: configuration)
            journal.phase = .cleaned
            try store.write(journal)
        }
        for item in removed { output.line("removed \(item)") }
        output.line("removed \(removed.count) kept cop\(removed.count == 1 ? "y" : "ies") of system restores older than \(days) day(s)")
        output.emit(SystemRestoreCleanupMessage(removed: removed))
        return ExitCodes.success
    }

    /// Runs `body` under the run lock, recorded in the history as a `restore` run.
    private func execute(_ journal: RestoreJournal, _ configuration: Configuration, _ store: RestoreJournalStore, _ directory: StateDirectory,
                         _ output: Output, repository: Repository?, _ body: (SystemRestoreRun) -> RestoreJournal) throws -> RestoreJournal {
        let session = try RunSession.start(configuration: configuration.file, trigger: .manual, command: .restore, in: directory,
                                           retentionDays: configuration.state.historyDays)
        let run = SystemRestoreRun(journal: journal, configuration: configuration, repository: repository, store: store,
                                   say: { output.line($0) }, recorder: StepRecorder(session: session))
        let ended = body(run)
        let succeeded = ended.phase == .succeeded || (ended.phase == .rolledBack && ended.failure?.hasPrefix("rolled back on request") == true)
        let summary = "{\"restore\":\"\(ended.plan.id)\",\"phase\":\"\(ended.phase.rawValue)\",\"rto_seconds\":\(String(format: "%.3f", ended.recoverySeconds))}"
        try? session.finish(status: succeeded ? .succeeded : .failed, exitCode: succeeded ? ExitCodes.success : ExitCodes.fatal,
                            error: ended.failure, summary: summary)
        return ended
    }

    private func finish(_ journal: RestoreJournal, _ configuration: Configuration, _ output: Output) -> Int32 {
        SystemRestoreReport.printResult(journal, output: output)
        output.emit(SystemRestoreSummaryMessage(journal))
        let requested = journal.failure?.hasPrefix("rolled back on request") == true
        if journal.phase != .succeeded && !requested {
            SystemRestoreAlert.send(journal, configuration: configuration, output: output)
            return ExitCodes.fatal
        }
        return journal.phase == .rollbackFailed ? ExitCodes.fatal : ExitCodes.success
    }
}
