import ArgumentParser
import Foundation
import SiloOps
import SiloRepository

/// `silo history`: the runs recorded in the state directory's run history (SiloOps), oldest
/// first, one line each, or one `run` object each (with its steps) under `--json`.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Show the recorded runs of silo run, oldest first.",
        discussion: Help.examples(["silo history", "silo history --failed", "silo history --source db --json",
                                   "silo history --limit 5 --state-dir /var/lib/silo"],
                                  note: "The history lives in history.sqlite in the state directory: --state-dir, else SILO_STATE_DIR, else /var/lib/silo for root and $XDG_STATE_HOME/silo (~/.local/state/silo) otherwise. A run whose process is gone reads as crashed."))

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: ArgumentHelp("Only runs with a backup or dump step of this source.", valueName: "name"))
    var source: String?

    @Flag(name: .long, help: "Only runs that did not fully succeed (with --source: whose step for that source did not).")
    var failed = false

    @Option(name: .long, help: ArgumentHelp("The newest N runs (0 for all).", valueName: "N"))
    var limit = 50

    @Option(name: .long, help: ArgumentHelp("The state directory (or SILO_STATE_DIR).", valueName: "dir"))
    var stateDir: String?

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 or more, not \(limit)") }
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let directory = StateDirectory.resolve(explicit: stateDir, environment: global.environment)
            // A read: no state directory or history file is created where there was none.
            guard FileManager.default.fileExists(atPath: directory.file(RunHistory.fileName)) else {
                output.line("no runs recorded in \(directory.path)")
                return ExitCodes.success
            }
            let history = try RunHistory(directory: directory)
            let runs = try history.runs(RunQuery(source: source, failedOnly: failed, limit: limit == 0 ? nil : limit))
            let configurations = Set(runs.map(\.configuration))
            if !runs.isEmpty {
                output.result(Self.row(["Started", "Duration", "Status", "Trigger", "Run"] + (configurations.count > 1 ? ["Configuration"] : []) + ["Details"]))
            }
            for run in runs {
                let steps = try history.steps(of: run.id)
                var cells = [Format.date(run.started), run.duration.map(Format.duration) ?? "-", run.status.rawValue,
                             run.trigger.rawValue, "#\(run.id)"]
                if configurations.count > 1 { cells.append(run.configuration) }
                cells.append(Self.details(run, steps))
                output.result(Self.row(cells))
                output.emit(RunMessage(run, steps))
            }
            output.line(runs.isEmpty ? "no runs match" : "\(runs.count) run(s)")
            return ExitCodes.success
        }
    }

    private static func row(_ cells: [String]) -> String {
        let widths = [19, 8, 12, 8, 6]
        return cells.enumerated().map { i, text in
            guard i < widths.count else { return text }
            return text + String(repeating: " ", count: max(0, widths[i] - text.count))
        }.joined(separator: "  ")
    }

    /// What a reader wants first: what failed and why; else what the run did.
    static func details(_ run: RunRecord, _ steps: [StepRecord]) -> String {
        let bad = steps.filter { $0.status != .succeeded && $0.status != .skipped && $0.status != .running }
        var parts = bad.map { step in
            "\(step.kind.rawValue)\(step.name.isEmpty ? "" : " " + step.name) \(step.status.rawValue)\(step.error.map { ": " + $0 } ?? "")"
        }
        switch run.status {
        case .running:
            parts.insert("pid \(run.process.pid) on \(run.process.host)", at: 0)
        case .crashed:
            if parts.isEmpty { parts.append(run.error ?? "its process (pid \(run.process.pid) on \(run.process.host)) is gone") }
        default:
            if let error = run.error, !parts.contains(where: { $0.hasSuffix(error) }) { parts.append(error) }
        }
        if parts.isEmpty {
            let done = steps.filter { $0.status == .succeeded && $0.kind != .hook }
            parts.append(done.isEmpty ? "\(steps.count) step(s)" : done.map { "\($0.kind.rawValue) \($0.name)".trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
        }
        return parts.joined(separator: "; ")
    }
}
