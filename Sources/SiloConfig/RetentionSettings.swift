/// `retention`: which snapshots `forget` keeps, per source or tag, and when `prune` runs.
public struct RetentionSettings: Sendable, Equatable {
    public static let defaultPrune = Cadence("weekly")!

    /// The policy of every source without an override.
    public var policy: KeepPolicy
    /// Per source name: the keys given there replace the general policy's.
    public var sourceOverrides: [(name: String, policy: KeepPolicy)]
    /// Per tag, for the sources carrying it (a source override wins over a tag's).
    public var tagOverrides: [(tag: String, policy: KeepPolicy)]
    public var prune: Cadence

    public init(policy: KeepPolicy = .seedDefault, sourceOverrides: [(name: String, policy: KeepPolicy)] = [],
                tagOverrides: [(tag: String, policy: KeepPolicy)] = [], prune: Cadence = RetentionSettings.defaultPrune) {
        self.policy = policy
        self.sourceOverrides = sourceOverrides
        self.tagOverrides = tagOverrides
        self.prune = prune
    }

    /// The policy that applies to `source`: its own override, else its first tag's, else the general one.
    public func policy(for source: SourceSettings) -> KeepPolicy {
        if let own = sourceOverrides.first(where: { $0.name == source.name }) { return own.policy }
        for tag in source.tags {
            if let override = tagOverrides.first(where: { $0.tag == tag }) { return override.policy }
        }
        return policy
    }

    public static func == (lhs: RetentionSettings, rhs: RetentionSettings) -> Bool {
        lhs.policy == rhs.policy && lhs.prune == rhs.prune
            && lhs.sourceOverrides.map(\.name) == rhs.sourceOverrides.map(\.name) && lhs.sourceOverrides.map(\.policy) == rhs.sourceOverrides.map(\.policy)
            && lhs.tagOverrides.map(\.tag) == rhs.tagOverrides.map(\.tag) && lhs.tagOverrides.map(\.policy) == rhs.tagOverrides.map(\.policy)
    }
}

/// `forget`'s keep rules; 0 (or absent) turns a count off.
public struct KeepPolicy: Sendable, Equatable {
    public var last = 0
    public var hourly = 0
    public var daily = 0
    public var weekly = 0
    public var monthly = 0
    public var yearly = 0
    /// Keep everything this recent (`forget --keep-within`: `7d`, `1y6m`, `36h`).
    public var within: String?

    public init(last: Int = 0, hourly: Int = 0, daily: Int = 0, weekly: Int = 0, monthly: Int = 0, yearly: Int = 0, within: String? = nil) {
        self.last = last
        self.hourly = hourly
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
        self.yearly = yearly
        self.within = within
    }

    /// The seed's retention as Silo improves it: 7 daily, 4 weekly, 12 monthly.
    public static let seedDefault = KeepPolicy(daily: 7, weekly: 4, monthly: 12)

    public var keepsSomething: Bool { last + hourly + daily + weekly + monthly + yearly > 0 || within != nil }

    /// `forget --keep-within`'s grammar: numbers each followed by y, m, d or h (`1y6m`, `36h`),
    /// not all zero.
    public static func isWithinDuration(_ text: String) -> Bool {
        var digits = "", total = 0, parts = 0
        for character in text {
            if character.isASCII && character.isNumber {
                digits.append(character)
            } else if "ymdh".contains(character), let count = Int(digits) {
                total += min(count, 1)
                parts += 1
                digits = ""
            } else {
                return false
            }
        }
        return parts > 0 && digits.isEmpty && total > 0
    }
}
