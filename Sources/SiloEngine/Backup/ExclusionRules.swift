import Foundation
import SiloFormat

/// The exclusions decided by what a directory holds or by a file's size, restic's
/// `--exclude-caches`, `--exclude-if-present` and `--exclude-larger-than`.
///
/// A tagged directory is kept with its tag file alone, as restic does: the snapshot still shows
/// that the directory existed and why its contents are missing.
struct ExclusionRules: Sendable {
    var excludeCaches = false
    var tagNames: [ByteString] = []
    var largerThan: UInt64?

    init(_ options: BackupOptions) {
        excludeCaches = options.excludeCaches
        tagNames = options.excludeIfPresent.map { ByteString($0) }
        largerThan = options.excludeLargerThan
    }

    /// The Cache Directory Tagging Specification's signature, which a `CACHEDIR.TAG` must start with.
    static let cacheTagName = ByteString("CACHEDIR.TAG")
    static let cacheSignature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)

    /// The names of `names` (a directory's listing, open as `directory`) to back up.
    func kept(_ names: [ByteString], in directory: Int32) -> [ByteString] {
        if let tag = tagNames.first(where: { names.contains($0) }) { return [tag] }
        if excludeCaches, names.contains(Self.cacheTagName), Self.isCacheTag(in: directory) { return [Self.cacheTagName] }
        return names
    }

    /// Whether a file of `size` bytes is left out.
    func excludes(fileSize size: UInt64) -> Bool {
        guard let largerThan else { return false }
        return size > largerThan
    }

    /// Whether the directory's `CACHEDIR.TAG` is a regular file that starts with the signature
    /// (any other file of that name is ordinary data, and kept).
    private static func isCacheTag(in directory: Int32) -> Bool {
        let fd = Paths.withCPath(cacheTagName) { openat(directory, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return false }
        var buffer = [UInt8](repeating: 0, count: cacheSignature.count)
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        return filled == buffer.count && buffer == cacheSignature
    }
}

/// Sizes as people write them for `--exclude-larger-than`: `500`, `10K`, `10M`, `1G`, `2T`
/// (binary multiples, as restic reads them; an optional `B` or `iB` after the letter).
public enum ByteSize {
    public static func parse(_ text: String) -> UInt64? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits.removeLast(suffix.count)
            break
        }
        var multiplier: UInt64 = 1
        if let last = digits.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
            multiplier = 1 << (10 * UInt64(power))
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let number = UInt64(digits) else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : value
    }
}
