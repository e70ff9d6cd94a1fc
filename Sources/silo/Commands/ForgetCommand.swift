import ArgumentParser
import Foundation
import SiloEngine
import SiloFormat
import SiloRepository

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Remove snapshots that a retention policy does not keep (their data goes at the next prune).",
        discussion: "Without any --keep option the seed's policy applies: --keep-daily 7 (or RETENTION_DAYS) --keep-weekly 4 --keep-monthly 12.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filter: SnapshotFilterOptions

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
        if policy.isEmpty {
            policy = .seedDefault(retentionDays: ProcessInfo.processInfo.environment["RETENTION_DAYS"].flatMap(Int.init))
        }
        return policy
    }

    func run() throws {
        let output = global.output
        try runCommand(output) {
            let repository = try global.openRepository()
            let policy = self.policy
            let grouping = SnapshotGrouping(parsing: groupBy)!
            var removed = 0
            var keptCount = 0
            for group in grouping.groups(filter.selector.filter(try repository.catalog.snapshots())) {
                output.line("group \(group.key.isEmpty ? "(all)" : group.key):")
                for decision in policy.apply(to: group.snapshots) {
                    let when = Format.date(decision.snapshot.date)
                    if decision.keep {
                        keptCount += 1
                        output.line("  keep    \(decision.id.shortHex)  \(when)  \(decision.reasons.joined(separator: ", "))")
                    } else {
                        removed += 1
                        output.line("  remove  \(decision.id.shortHex)  \(when)")
                        if !dryRun { try repository.removeSnapshot(decision.id) }
                    }
                    output.emit(["message_type": "decision", "group": group.key, "id": decision.id.hex, "time": Timestamp.iso8601(decision.snapshot.date),
                                 "keep": decision.keep, "reasons": decision.reasons, "dry_run": dryRun])
                }
            }
            output.line("\(keptCount) kept, \(removed) \(dryRun ? "would be removed (dry run)" : "removed"); the data of removed snapshots stays until `silo prune`")
            output.emit(["message_type": "summary", "kept": keptCount, "removed": removed, "dry_run": dryRun])
            if prune && !dryRun { try PruneArguments.run(pruneArguments.pruneOptions, repository: repository, output: output) }
            return ExitCodes.success
        }
    }
}
