/// Where a repository's password comes from: never the file itself (restic's choices).
public enum RepositoryPassword: Sendable, Equatable {
    /// A file whose content (less one final line ending) is the password; mode 0600 or stricter.
    case file(String)
    /// A command run with `/bin/sh -c`; the first line it prints is the password.
    case command(String)
}
