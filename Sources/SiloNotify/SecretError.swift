/// Why a channel's secret (webhook URL, SMTP password, HMAC secret) could not be had. The
/// messages name where the secret was to come from, never what it is.
public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read.
    case fileUnreadable(path: String, reason: String)
    /// The file is not a regular file.
    case notAFile(path: String)
    /// Group or others may read or write it: a secret file must be 0600 (or 0400), as a password
    /// file is for ssh or libpq.
    case fileTooOpen(path: String, mode: UInt32)
    /// The command could not be started at all.
    case commandUnstartable(command: String, reason: String)
    /// The command exited with a status other than 0 (or was killed by a signal).
    case commandFailed(command: String, status: Int32)
    /// It resolved to nothing: an empty URL or password would only fail later, less clearly.
    case empty(origin: String)

    public var description: String {
        switch self {
        case .fileUnreadable(let path, let reason):
            "cannot read the secret file \(path): \(reason)"
        case .notAFile(let path):
            "the secret file \(path) is not a regular file"
        case .fileTooOpen(let path, let mode):
            "the secret file \(path) is readable or writable by group or others (mode \(String(mode & 0o777, radix: 8))); "
                + "run chmod 600 \(path)"
        case .commandUnstartable(let command, let reason):
            "cannot run the secret command `\(command)`: \(reason)"
        case .commandFailed(let command, let status):
            "the secret command `\(command)` failed (exit status \(status)); its output is not used"
        case .empty(let origin):
            "the secret from \(origin) is empty"
        }
    }
}
