import Foundation

/// Sizes of one chunker profile. Recorded in the repository config by name so that every
/// client of a repository cuts the same boundaries.
public struct ChunkerProfile: Codable, Sendable, Equatable {
    public var minSize: Int
    public var averageSize: Int
    public var maxSize: Int

    public init(minSize: Int, averageSize: Int, maxSize: Int) {
        self.minSize = minSize
        self.averageSize = averageSize
        self.maxSize = maxSize
    }

    /// Files: 1 MiB mean keeps the index small for large trees.
    public static let files = ChunkerProfile(minSize: 256 << 10, averageSize: 1 << 20, maxSize: 4 << 20)
    /// Database dumps: updated rows scatter through a dump, so small chunks deduplicate far better.
    public static let database = ChunkerProfile(minSize: 16 << 10, averageSize: 64 << 10, maxSize: 256 << 10)
}

/// The kinds of content Silo chunks differently: the name the repository config records each
/// one's chunker sizes under (`chunker_profiles`), and how their new chunks are stored.
public enum ContentProfile: String, Sendable, CaseIterable {
    /// Files of a tree: 1 MiB chunks, stored whole.
    case files
    /// Database dumps: 64 KiB chunks, and a new chunk that resembles a stored one is stored as
    /// a delta against it: from one dump to the next most chunks change by a few rows. Every
    /// path that stores a dump uses it (`backup --postgres`, `import --expand-dumps`).
    case database

    /// The key of this profile's sizes in the repository config.
    public var configName: String { rawValue }

    /// Whether new chunks are stored as deltas against resembling ones (where the store is
    /// local: on a remote one each base would cost requests).
    public var storesDeltas: Bool { self == .database }
}

/// FastCDC (Xia et al., 2016/2020) with normalized chunking, level 2.
///
/// The gear table is derived from the repository's secret chunker seed, so boundaries reveal
/// nothing about content to someone who only sees pack sizes. The gear hash shifts left, so bit
/// k only depends on the last k+1 bytes: inside a run of one byte value (pgbench's 84-space
/// filler) every bit below the run's length is constant. The masks therefore use the topmost
/// bits of the word, which stay fed by the bytes before the run the longest.
public struct FastCDC: Sendable {
    public let profile: ChunkerProfile
    private let gear: [UInt64]
    private let maskSmall: UInt64
    private let maskLarge: UInt64

    public init(profile: ChunkerProfile, seed: Data) {
        precondition(profile.minSize > 0 && profile.minSize <= profile.averageSize && profile.averageSize <= profile.maxSize)
        self.profile = profile
        var table = [UInt64](repeating: 0, count: 256)
        for i in 0..<256 {
            var counter = UInt32(i).bigEndian
            let digest = withUnsafeBytes(of: &counter) { Crypto.hmacSHA256(key: seed, $0) }
            table[i] = digest.w0
        }
        gear = table
        let bits = Int(log2(Double(profile.averageSize)).rounded())
        maskSmall = FastCDC.highMask(bits: bits + 2)
        maskLarge = FastCDC.highMask(bits: max(bits - 2, 1))
    }

    /// A mask of the top `bits` bits of the word. (Spreading the bits down to bit 21 let runs of
    /// more than ~25 equal bytes kill cut points: chunks of pgbench dumps came out 1.6–1.8× the
    /// target; with the top bits they stay within 1.5×.)
    static func highMask(bits: Int) -> UInt64 {
        ~UInt64(0) << UInt64(64 - min(max(bits, 1), 64))
    }

    /// Length of the next chunk at the start of `buffer`. When `buffer` is shorter than the
    /// maximum chunk size the caller must be at the end of the input: the rest is one chunk.
    public func cutPoint(_ buffer: UnsafeRawBufferPointer) -> Int {
        let count = buffer.count
        if count <= profile.minSize { return count }
        let end = min(count, profile.maxSize)
        let normal = min(end, profile.averageSize)
        let bytes = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        return gear.withUnsafeBufferPointer { g -> Int in
            let table = g.baseAddress!
            var hash: UInt64 = 0
            var i = profile.minSize
            while i < normal {
                hash = (hash &<< 1) &+ table[Int(bytes[i])]
                if hash & maskSmall == 0 { return i + 1 }
                i &+= 1
            }
            while i < end {
                hash = (hash &<< 1) &+ table[Int(bytes[i])]
                if hash & maskLarge == 0 { return i + 1 }
                i &+= 1
            }
            return end
        }
    }
}
