/// `checks`: how often the repository's structure is checked, and how often which share of the
/// packs is read back (`check --read-data-subset`), so that every pack is read once a month.
public struct CheckSettings: Sendable, Equatable {
    public static let defaultStructure = Cadence("daily")!
    public static let defaultReadData = ReadDataSettings(cadence: Cadence("daily")!, share: Share(text: "1/30", fraction: 1.0 / 30))

    public var structure: Cadence
    public var readData: ReadDataSettings

    public init(structure: Cadence = CheckSettings.defaultStructure, readData: ReadDataSettings = CheckSettings.defaultReadData) {
        self.structure = structure
        self.readData = readData
    }
}

public struct ReadDataSettings: Sendable, Equatable {
    public var cadence: Cadence
    public var share: Share

    public init(cadence: Cadence, share: Share) {
        self.cadence = cadence
        self.share = share
    }

    /// How many times a month all packs are read: below 1, some pack goes unread for a month.
    public var coveragePerMonth: Double {
        share.fraction * (Double(Cadence.month.components.seconds) / Double(cadence.interval.components.seconds))
    }
}

/// A part of the packs: `N%` (0 < N ≤ 100) or `1/N` (N ≥ 1), as `check --read-data-subset` takes it.
public struct Share: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    public let fraction: Double

    init(text: String, fraction: Double) {
        self.text = text
        self.fraction = fraction
    }

    public init?(_ text: String) {
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 {
            self.init(text: text, fraction: percent / 100)
        } else if text.hasPrefix("1/"), let parts = Int(text.dropFirst(2)), parts >= 1 {
            self.init(text: text, fraction: 1 / Double(parts))
        } else {
            return nil
        }
    }

    public var description: String { text }
}
