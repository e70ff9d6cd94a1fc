import Foundation

extension Data {
    /// A buffer of `capacity` bytes that `fill` writes and returns the used length of. Unlike
    /// `Data(count:)` it is not zero-filled first: on the backup's hot path (a compressed and a
    /// sealed copy of every chunk) the zeroing cost as much as the encryption.
    static func filling(capacity: Int, _ fill: (UnsafeMutableRawPointer) throws -> Int) rethrows -> Data {
        let pointer = malloc(Swift.max(capacity, 1))!
        let used: Int
        do {
            used = try fill(pointer)
        } catch {
            free(pointer)
            throw error
        }
        precondition(used <= capacity)
        return Data(bytesNoCopy: pointer, count: used, deallocator: .free)
    }
}
