/// The key rules every backend enforces (see `ObjectStore`): `/`-separated components of
/// `[A-Za-z0-9._-]`, none empty, none starting with a dot — so no key can climb out of the
/// repository, hide, or mean different things to different services.
public enum ObjectKey {
    public static func validate(_ key: String) throws {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let valid = !key.isEmpty && parts.allSatisfy { part in
            !part.isEmpty && part.first != "." && part.allSatisfy { c in
                c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
            }
        }
        if !valid { throw StorageError(.invalidKey, key: key, "invalid object key") }
    }
}
