import Foundation

/// Features that chunks with mostly the same content share: min-hashes over content-defined
/// windows (about one position in 32, each hashing the 64 bytes before it). Two versions of a
/// dump's chunk that differ in a few rows share most windows, so each feature agrees with
/// probability close to their similarity; unrelated chunks agree on none. Backup uses them to
/// find the previous version of a new chunk and store the chunk as a delta against it.
public enum Resemblance {
    public static let featureCount = 4

    /// The chunk's features; empty when it has no window to take them from.
    public static func features(_ data: UnsafeRawBufferPointer) -> [Int64] {
        var minima = [UInt64](repeating: .max, count: featureCount)
        var hash: UInt64 = 0
        var anchors = 0
        let table = Self.table
        for byte in data {
            hash = (hash << 1) &+ table[Int(byte)]
            guard hash & 0x1F == 0 else { continue }
            anchors += 1
            for slot in 0..<featureCount {
                let value = mix(hash ^ salts[slot])
                if value < minima[slot] { minima[slot] = value }
            }
        }
        // Without any window (a tiny or uniform chunk) there is nothing to compare by.
        guard anchors > 0 else { return [] }
        // Slot in the top bits, so the same value in two slots is two features.
        return minima.enumerated().map { slot, value in Int64(bitPattern: (value >> 2) | (UInt64(slot) << 62)) }
    }

    /// splitmix64's finaliser: a bijection that spreads every input bit.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static let salts: [UInt64] = (1...featureCount).map { mix(UInt64($0) &* 0x9E37_79B9_7F4A_7C15) }

    /// A fixed table (features are compared only within one local catalog, but they must not
    /// change between runs).
    private static let table: [UInt64] = (0..<256).map { mix(UInt64($0) &+ 0x5EED_0F_5115_0000) }
}
