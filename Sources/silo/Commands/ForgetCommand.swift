import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshots that a retention policy does not keep, or the snapshots named (their data goes at the next prune).",
        discussion: """
            A policy is required: without one nothing is removed (the seed's 7 daily / 4 weekly / 12 monthly belongs in the \
            configuration file). A policy that would remove every snapshot of a group is refused unless --allow-empty.
            Examples:
              silo forget --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune
              silo forget 4f2a9c1e
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

    @Argument(help: "Snapshots to remove (IDs, prefixes or latest), instead of a policy.") var snapshots: [String] = []

    @Option(name: .long, help: "Keep the N newest snapshots.") var keepLast = 0
    @Option(name: .long, help: "Keep the newest snapshot of each of the last N hours.") var keepHourly = 0
    @Option(name: .long, help: "Keep the newest snapshot of each of the last N days.") var keepDaily = 0
    @Option(name: .long, help: "Keep the newest snapshot of each of the last N ISO weeks.") var keepWeekly = 0
    @Option(name: .long, help: "Keep the newest snapshot of each of the last N months.") var keepMonthly = 0
    @Option(name: .long, help: "Keep the newest snapshot of each of the last N years.") var keepYearly = 0
    @Option(name: .long, help: "Keep every snapshot within this duration of the newest (e.g. 2d, 1y6m, 36h).") var keepWithin: String?
    @Option(name: .long, help: "Keep the newest per hour within this duration.") var keepWithinHourly: String?
    @Option(name: .long, help: "Keep the newest per day within this duration.") var keepWithinDaily: String?
    @Option(name: .long, help: "Keep the newest per week within this duration.") var keepWithinWeekly: String?
    @Option(name: .long, help: "Keep the newest per month within this duration.") var keepWithinMonthly: String?
    @Option(name: .long, help: "Keep the newest per year within this duration.") var keepWithinYearly: String?
    @Option(name: .long, help: "Keep snapshots with this tag (repeatable).") var keepTag: [String] = []
    @Option(name: .long, help: "Apply the policy per group: any of host,paths,tags, or '' for one group.") var groupBy = "host,paths"
    @Flag(name: .long, help: "Allow a policy that removes every snapshot of a group.") var allowEmpty = false
    @Flag(name: [.customShort("n"), .long], help: "Only say what would be kept and removed, and why.") var dryRun = false
    @Flag(name: .long, help: "Run prune right after.") var prune = false
    @OptionGroup var pruneArguments: PruneArguments

    func validate() throws {
        for (name, value) in durationOptions where value != nil {
            guard RetentionDuration(parsing: value!) != nil else {
                throw ValidationError("--\(name) takes a duration such as 7d, 36h or 1y6m")
            }
        }
        guard SnapshotGrouping(parsing: groupBy) != nil else { throw ValidationError("--group-by takes host, paths, tags or ''") }
        guard [keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly].allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--keep-* counts cannot be negative")
        }
        for (name, value) in durationOptions {
            if let duration = value.flatMap(RetentionDuration.init(parsing:)), duration == RetentionDuration() {
                throw ValidationError("--\(name) \(value!) keeps nothing; give a duration above zero")
            }
        }
        if !snapshots.isEmpty {
            guard policy.isEmpty else { throw ValidationError("give either snapshots to remove or a --keep-* policy, not both") }
        } else if policy.isEmpty {
            // restic's rule: a bare forget removes nothing. A built-in default that any typo
            // falls back to has removed snapshots nobody meant to remove.
            throw ValidationError("no policy given, nothing removed: add --keep-last/--keep-daily/… (or name the snapshots to remove)")
        }
    }

    private var durationOptions: [(String, String?)] {
        [("keep-within", keepWithin), ("keep-within-hourly", keepWithinHourly), ("keep-within-daily", keepWithinDaily),
         ("keep-within-weekly", keepWithinWeekly), ("keep-within-monthly", keepWithinMonthly), ("keep-within-yearly", keepWithinYearly)]
    }

    var policy: RetentionPolicy {
        var policy = RetentionPolicy()
        policy.last = keepLast
        policy.counts = [.hourly: keepHourly, .daily: keepDaily, .weekly: keepWeekly, .monthly: keepMonthly, .yearly: keepYearly]
            .filter { $0.value > 0 }
        policy.within = keepWithin.flatMap(RetentionDuration.init(parsing:))
        let within: [(RetentionPolicy.Bucket, String?)] = [(.hourly, keepWithinHourly), (.daily, keepWithinDaily), (.weekly, keepWithinWeekly),
                                                           (.monthly, keepWithinMonthly), (.yearly, keepWithinYearly)]
        for (bucket, text) in within {
            if let duration = text.flatMap(RetentionDuration.init(parsing:)) { policy.withinBuckets[bucket] = duration }
        }
        policy.tags = keepTag
        return policy
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let removed = snapshots.isEmpty ? try applyPolicy(repository, output) : try removeNamed(repository, output)
            if prune && !dryRun { try PruneArguments.run(pruneArguments.pruneOptions, repository: repository, output: output, afterForget: true) }
            return removed
        }
    }

    /// `forget ID…`: exactly the snapshots named, each resolved before any is removed.
    private func removeNamed(_ repository: Repository, _ output: Output) throws -> Int32 {
        let chosen = try snapshots.map { try filter.selector.resolve($0, in: repository) }
        var seen = Set<SnapshotID>()
        for (id, snapshot) in chosen where seen.insert(id).inserted {
            output.line("  remove  \(id.shortHex)  \(Format.date(snapshot.date))")
            if !dryRun { try repository.removeSnapshot(id) }
            output.emit(DecisionMessage(group: "", id: id.hex, time: Timestamp.iso8601(snapshot.date), keep: false, reasons: ["named"], dryRun: dryRun))
        }
        output.line("\(seen.count) \(dryRun ? "would be removed (dry run)" : "removed"); their data stays until `silo prune`")
        output.emit(ForgetSummaryMessage(kept: 0, removed: seen.count, dryRun: dryRun))
        return ExitCodes.success
    }

    private func applyPolicy(_ repository: Repository, _ output: Output) throws -> Int32 {
        let grouping = SnapshotGrouping(parsing: groupBy)!
        let groups = grouping.groups(filter.selector.filter(try repository.snapshots()))
        let decided = groups.map { (group: $0, decisions: policy.apply(to: $0.snapshots)) }
        // Decided for every group before anything goes: a policy that keeps nothing of a group
        // (`--keep-tag typo`) is refused whole.
        if !allowEmpty, let empty = decided.first(where: { !$0.decisions.isEmpty && !$0.decisions.contains(where: \.keep) }) {
            output.error("the policy keeps none of the \(empty.decisions.count) snapshot(s) of group \(empty.group.key.isEmpty ? "(all)" : empty.group.key); nothing was removed (pass --allow-empty if that is meant)")
            return ExitCodes.usage
        }
        var removed = 0
        var keptCount = 0
        for (group, decisions) in decided {
            output.line("group \(group.key.isEmpty ? "(all)" : group.key):")
            for decision in decisions {
                let when = Format.date(decision.snapshot.date)
                if decision.keep {
                    keptCount += 1
                    output.line("  keep    \(decision.id.shortHex)  \(when)  \(decision.reasons.joined(separator: ", "))")
                } else {
                    removed += 1
                    output.line("  remove  \(decision.id.shortHex)  \(when)")
                    if !dryRun { try repository.removeSnapshot(decision.id) }
                }
                output.emit(DecisionMessage(group: group.key, id: decision.id.hex, time: Timestamp.iso8601(decision.snapshot.date),
                                            keep: decision.keep, reasons: decision.reasons, dryRun: dryRun))
            }
        }
        output.line("\(keptCount) kept, \(removed) \(dryRun ? "would be removed (dry run)" : "removed"); the data of removed snapshots stays until `silo prune`")
        output.emit(ForgetSummaryMessage(kept: keptCount, removed: removed, dryRun: dryRun))
        return ExitCodes.success
    }
}
