import Foundation
import SiloConfig
import SiloEngine

/// What a `silo run` will do, in its order, and why each piece is due or not: made from the
/// configuration and the run history before anything is touched (`--dry-run` prints it).
public struct RunPlan: Sendable {
    public struct SourceWork: Sendable {
        public let source: SourceSettings
        public let due: Due
    }

    public struct CopyWork: Sendable {
        public let copy: CopySettings
        public let due: Due
        /// The copy's own prune (retention is applied to the copy after each copy).
        public let prune: Due
    }

    /// Database dumps first (consistent, before the files), then file sources, each in the
    /// file's order.
    public let sources: [SourceWork]
    public let prune: Due
    public let copies: [CopyWork]
    public let structureCheck: Due
    public let readData: Due
    /// The group of packs the read-data check reads when due: the next of the rotation.
    public let readDataGroup: ReadDataGroup
    /// Sources named on the command line (empty: the whole configuration).
    public let only: [String]

    /// Nothing at all is due: the run does its hooks and records a run that did nothing.
    public var nothingDue: Bool {
        !sources.contains { $0.due.isDue } && !prune.isDue && !copies.contains { $0.due.isDue || $0.prune.isDue }
            && !structureCheck.isDue && !readData.isDue
    }

    /// The names the history's steps carry for the main repository's prune and checks.
    public enum StepName {
        public static let repository = "repository"
        public static let structureCheck = "structure"
        public static let readDataCheck = "read-data"
    }

    /// `only`: run just these sources (they are due whatever the history says) and their
    /// retention; prune, copies and checks wait for a whole run. `force`: everything is due.
    /// `history` nil: nothing was ever recorded (everything is due).
    public static func make(configuration: Configuration, history: RunHistory?, configurationKey: String, now: Date,
                            only: [String] = [], force: Bool = false) throws -> RunPlan {
        func last(_ kind: StepKind, _ name: String) throws -> StepRecord? {
            try history?.lastSuccess(kind: kind, name: name, configuration: configurationKey)
        }
        func due(_ kind: StepKind, _ name: String, _ cadence: Cadence) throws -> Due {
            if force { return .named("forced (--force)") }
            if !only.isEmpty { return .notNow("not in a run of named sources") }
            return Due.decide(lastSuccess: try last(kind, name)?.started, cadence: cadence, now: now)
        }

        let ordered = configuration.sources.filter(\.isDatabase) + configuration.sources.filter { !$0.isDatabase }
        let sources = try ordered.filter { only.isEmpty || only.contains($0.name) }.map { source -> SourceWork in
            if only.contains(source.name) { return SourceWork(source: source, due: .named("named on the command line")) }
            if force { return SourceWork(source: source, due: .named("forced (--force)")) }
            let kind: StepKind = source.isDatabase ? .dump : .backup
            return SourceWork(source: source, due: Due.decide(lastSuccess: try last(kind, source.name)?.started, cadence: source.cadence, now: now))
        }
        let copies = try configuration.copies.map { copy in
            CopyWork(copy: copy, due: try due(.copy, copy.name, copy.cadence), prune: try due(.prune, copy.name, configuration.retention.prune))
        }
        let groups = Self.groupCount(configuration.checks.readData.share)
        let lastRead = try last(.check, StepName.readDataCheck)
        return RunPlan(sources: sources, prune: try due(.prune, StepName.repository, configuration.retention.prune), copies: copies,
                       structureCheck: try due(.check, StepName.structureCheck, configuration.checks.structure),
                       readData: try due(.check, StepName.readDataCheck, configuration.checks.readData.cadence),
                       readDataGroup: Self.nextGroup(after: lastRead?.details, count: groups), only: only)
    }

    /// A share read per check as a number of fixed groups: 1/30 → 30, 10% → 10, 3% → 33.
    static func groupCount(_ share: Share) -> Int { max(1, Int((1 / share.fraction).rounded())) }

    /// The group after the one the last read-data check read (its step details hold
    /// `"group": "n/t"`); group 1 when there was none, or when the number of groups changed.
    static func nextGroup(after details: String?, count: Int) -> ReadDataGroup {
        guard let details, let object = try? JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any],
              let text = object["group"] as? String, let last = ReadDataGroup(parsing: text), last.count == count else {
            return ReadDataGroup(index: 1, count: count)!
        }
        return ReadDataGroup(index: last.index % count + 1, count: count)!
    }
}

extension SourceSettings {
    public var isDatabase: Bool {
        if case .postgres = kind { return true }
        return false
    }

    /// The tag that marks this source's snapshots: retention applies to them as one series.
    public var seriesTag: String { "source:" + name }
}
