/// `repository`: the main repository, where every source's snapshots go.
public struct RepositorySettings: Sendable, Equatable {
    /// A directory or `s3:URL`, as `-r/--repo` takes it.
    public var location: String
    /// nil: silo's usual sources (SILO_PASSWORD, a prompt), for a configuration run by hand.
    public var password: RepositoryPassword?
    /// The local catalog cache; nil: `$XDG_CACHE_HOME/silo`.
    public var cacheDirectory: String?

    public init(location: String, password: RepositoryPassword?, cacheDirectory: String?) {
        self.location = location
        self.password = password
        self.cacheDirectory = cacheDirectory
    }
}
