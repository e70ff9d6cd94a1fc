import Foundation
import SiloFormat

/// How far back a `--keep-within` rule reaches: years, months, days and hours, as restic
/// writes them (`1y6m`, `7d`, `36h`).
public struct RetentionDuration: Sendable, Equatable, CustomStringConvertible {
    public var years = 0, months = 0, days = 0, hours = 0

    public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
        self.years = years
        self.months = months
        self.days = days
        self.hours = hours
    }

    /// Parses `1y2m3d4h` (any subset, in that order or not); nil for anything else.
    public init?(parsing text: String) {
        var number = ""
        var seen = false
        for c in text {
            if c.isASCII && c.isNumber {
                number.append(c)
                continue
            }
            guard let value = Int(number) else { return nil }
            switch c {
            case "y": years += value
            case "m": months += value
            case "d": days += value
            case "h": hours += value
            default: return nil
            }
            number = ""
            seen = true
        }
        guard number.isEmpty, seen else { return nil }
    }

    public var description: String {
        [(years, "y"), (months, "m"), (days, "d"), (hours, "h")].filter { $0.0 > 0 }.map { "\($0.0)\($0.1)" }.joined()
    }

    /// The moment `self` before `date`, on the calendar (so a month back from 31 March is 28/29 February).
    func subtracted(from date: Date, calendar: Calendar) -> Date {
        var components = DateComponents()
        components.year = -years
        components.month = -months
        components.day = -days
        components.hour = -hours
        return calendar.date(byAdding: components, to: date) ?? date
    }
}

/// A retention policy: which snapshots `forget` keeps. Buckets follow the calendar of a time
/// zone (the local one by default); weeks are ISO weeks. Within each rule the newest snapshot of
/// a bucket is kept, newest buckets first, as restic and borg do.
public struct RetentionPolicy: Sendable, Equatable {
    public enum Bucket: String, Sendable, CaseIterable {
        case hourly, daily, weekly, monthly, yearly
    }

    public var last = 0
    public var counts: [Bucket: Int] = [:]
    public var within: RetentionDuration?
    public var withinBuckets: [Bucket: RetentionDuration] = [:]
    public var tags: [String] = []

    public init() {}

    /// The seed's schedule: 7 daily (or RETENTION_DAYS), 4 weekly, 12 monthly.
    public static func seedDefault(retentionDays: Int? = nil) -> RetentionPolicy {
        var policy = RetentionPolicy()
        policy.counts = [.daily: retentionDays ?? 7, .weekly: 4, .monthly: 12]
        return policy
    }

    public var isEmpty: Bool {
        last == 0 && counts.values.allSatisfy { $0 == 0 } && within == nil && withinBuckets.isEmpty && tags.isEmpty
    }

    public struct Decision: Sendable {
        public let id: SnapshotID
        public let snapshot: Snapshot
        /// Why it is kept (empty: it goes).
        public let reasons: [String]
        public var keep: Bool { !reasons.isEmpty }
    }

    /// Decides for one group of snapshots; returns them newest first.
    public func apply(to snapshots: [(id: SnapshotID, snapshot: Snapshot)], timeZone: TimeZone = .current) -> [Decision] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Newest first; equal times are ordered by ID so the result does not depend on input order.
        let sorted = snapshots.sorted { ($0.snapshot.time, $0.id) > ($1.snapshot.time, $1.id) }
        var reasons = [[String]](repeating: [], count: sorted.count)
        guard let newest = sorted.first?.snapshot.date else { return [] }

        for i in sorted.indices.prefix(last) { reasons[i].append("last snapshot") }
        for (i, entry) in sorted.enumerated() where !tags.isEmpty && entry.snapshot.tags.contains(where: tags.contains) {
            reasons[i].append("tagged " + entry.snapshot.tags.filter(tags.contains).joined(separator: ","))
        }
        if let within {
            let limit = within.subtracted(from: newest, calendar: calendar)
            for (i, entry) in sorted.enumerated() where entry.snapshot.date >= limit {
                reasons[i].append("within \(within) of the newest")
            }
        }
        for bucket in Bucket.allCases {
            if let count = counts[bucket], count > 0 {
                keepNewestPerBucket(bucket, count: count, sorted: sorted, calendar: calendar, limit: nil,
                                    reason: "\(bucket.rawValue) snapshot", into: &reasons)
            }
            if let duration = withinBuckets[bucket] {
                keepNewestPerBucket(bucket, count: Int.max, sorted: sorted, calendar: calendar,
                                    limit: duration.subtracted(from: newest, calendar: calendar),
                                    reason: "\(bucket.rawValue) within \(duration)", into: &reasons)
            }
        }
        return sorted.enumerated().map { Decision(id: $1.id, snapshot: $1.snapshot, reasons: reasons[$0]) }
    }

    private func keepNewestPerBucket(_ bucket: Bucket, count: Int, sorted: [(id: SnapshotID, snapshot: Snapshot)], calendar: Calendar,
                                     limit: Date?, reason: String, into reasons: inout [[String]]) {
        var lastKey: [Int]?
        var kept = 0
        for (i, entry) in sorted.enumerated() {
            if kept >= count { return }
            if let limit, entry.snapshot.date < limit { return }
            let key = Self.bucketKey(bucket, entry.snapshot.date, calendar: calendar)
            if key != lastKey {
                reasons[i].append(reason)
                lastKey = key
                kept += 1
            }
        }
    }

    static func bucketKey(_ bucket: Bucket, _ date: Date, calendar: Calendar) -> [Int] {
        switch bucket {
        case .hourly:
            let c = calendar.dateComponents([.year, .month, .day, .hour], from: date)
            return [c.year!, c.month!, c.day!, c.hour!]
        case .daily:
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            return [c.year!, c.month!, c.day!]
        case .weekly:
            var iso = Calendar(identifier: .iso8601)
            iso.timeZone = calendar.timeZone
            let c = iso.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
            return [c.yearForWeekOfYear!, c.weekOfYear!]
        case .monthly:
            let c = calendar.dateComponents([.year, .month], from: date)
            return [c.year!, c.month!]
        case .yearly:
            return [calendar.component(.year, from: date)]
        }
    }
}

/// Splits snapshots into the groups a policy is applied to separately.
public struct SnapshotGrouping: Sendable, Equatable {
    public var byHost = true
    public var byPaths = true
    public var byTags = false

    public init(byHost: Bool = true, byPaths: Bool = true, byTags: Bool = false) {
        self.byHost = byHost
        self.byPaths = byPaths
        self.byTags = byTags
    }

    /// `host,paths` (the default), any subset of host, paths, tags, or an empty string for one group.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.allSatisfy({ ["host", "paths", "tags"].contains($0) }) else { return nil }
        byHost = parts.contains("host")
        byPaths = parts.contains("paths")
        byTags = parts.contains("tags")
    }

    public func key(_ snapshot: Snapshot) -> String {
        var parts: [String] = []
        if byHost { parts.append("host \(snapshot.host)") }
        if byPaths { parts.append("paths \(snapshot.paths.sorted().joined(separator: ", "))") }
        if byTags { parts.append("tags \(snapshot.tags.sorted().joined(separator: ","))") }
        return parts.joined(separator: "; ")
    }

    /// The `count` newest snapshots of each group, in the order `snapshots` had them.
    public func newest(_ count: Int, of snapshots: [(id: SnapshotID, snapshot: Snapshot)]) -> [(id: SnapshotID, snapshot: Snapshot)] {
        let kept = Set(groups(snapshots).flatMap { group in
            group.snapshots.sorted { ($0.snapshot.time, $0.id.hex) > ($1.snapshot.time, $1.id.hex) }.prefix(count).map(\.id)
        })
        return snapshots.filter { kept.contains($0.id) }
    }

    public func groups(_ snapshots: [(id: SnapshotID, snapshot: Snapshot)]) -> [(key: String, snapshots: [(id: SnapshotID, snapshot: Snapshot)])] {
        var groups: [String: [(id: SnapshotID, snapshot: Snapshot)]] = [:]
        for entry in snapshots { groups[key(entry.snapshot), default: []].append(entry) }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }
}
