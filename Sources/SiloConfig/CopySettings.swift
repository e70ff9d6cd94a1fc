/// One of `copies`: an off-site repository that receives the main repository's snapshots.
public struct CopySettings: Sendable, Equatable {
    public static let defaultCadence = Cadence("daily")!

    /// `[a-z0-9_-]+`: it names the copy in history, metrics and alerts.
    public var name: String
    public var location: String
    public var password: RepositoryPassword?
    public var cadence: Cadence

    public init(name: String, location: String, password: RepositoryPassword?, cadence: Cadence = CopySettings.defaultCadence) {
        self.name = name
        self.location = location
        self.password = password
        self.cadence = cadence
    }
}
