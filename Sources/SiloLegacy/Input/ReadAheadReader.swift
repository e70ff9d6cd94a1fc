import Foundation

/// Runs a reader — a decompressor, typically — on its own thread, a few blocks ahead of its
/// consumer. Inflating a `.tar.gz` and chunking and hashing what comes out then use two cores
/// at once instead of taking turns on one.
///
/// The source is touched only by the read-ahead thread once this reader exists. Its bytes
/// arrive in order; an error arrives after the bytes read before it.
final class ReadAheadReader: ByteReader {
    private let shared: Shared
    private var current: (block: UnsafeMutableRawBufferPointer, count: Int, offset: Int)?

    init(_ source: ByteReader, blocks: Int = 4, blockSize: Int = 1 << 20) {
        shared = Shared(source: source, blocks: blocks, blockSize: blockSize)
        let shared = self.shared
        let thread = Thread { shared.produce() }
        thread.name = "silo.read-ahead"
        thread.start()
    }

    /// The thread stops before its next block; it is given a moment to, so that the process
    /// does not exit in the middle of a decoder's call (a read from a pipe may block longer).
    deinit { stop(waiting: 2) }

    /// Stops the read-ahead thread; true when it has stopped within `seconds`.
    @discardableResult
    func stop(waiting seconds: Double) -> Bool { shared.cancel(waiting: seconds) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if current == nil {
            guard let next = try shared.nextFilled() else { return 0 }
            current = (next.block, next.count, 0)
        }
        let (block, count, offset) = current!
        let n = min(buffer.count, count - offset)
        buffer.baseAddress!.copyMemory(from: block.baseAddress! + offset, byteCount: n)
        if offset + n == count {
            shared.recycle(block)
            current = nil
        } else {
            current = (block, count, offset + n)
        }
        return n
    }

    /// What the two threads share, under one condition variable.
    private final class Shared: @unchecked Sendable {
        private let source: ByteReader
        private let blockSize: Int
        private let condition = NSCondition()
        private let allBlocks: [UnsafeMutableRawBufferPointer]
        private var free: [UnsafeMutableRawBufferPointer]
        private var filled: [(block: UnsafeMutableRawBufferPointer, count: Int)] = []
        private var ended = false
        private var failure: Error?
        private var cancelled = false
        private var stopped = false

        init(source: ByteReader, blocks: Int, blockSize: Int) {
            self.source = source
            self.blockSize = blockSize
            allBlocks = (0..<max(2, blocks)).map { _ in .allocate(byteCount: blockSize, alignment: 64) }
            free = allBlocks
        }

        deinit { for block in allBlocks { block.deallocate() } }

        func produce() {
            defer {
                condition.lock()
                stopped = true
                condition.broadcast()
                condition.unlock()
            }
            while true {
                condition.lock()
                while free.isEmpty && !cancelled { condition.wait() }
                if cancelled {
                    condition.unlock()
                    return
                }
                let block = free.removeLast()
                condition.unlock()

                // Whole blocks: fewer hand-overs between the threads.
                var count = 0
                var atEnd = false
                var error: Error?
                do {
                    while count < blockSize {
                        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: block[count...]))
                        if n == 0 {
                            atEnd = true
                            break
                        }
                        count += n
                    }
                } catch let caught {
                    error = caught
                }

                condition.lock()
                if count > 0 { filled.append((block, count)) } else { free.append(block) }
                if atEnd || error != nil {
                    ended = true
                    failure = error
                }
                condition.broadcast()
                condition.unlock()
                if atEnd || error != nil { return }
            }
        }

        /// The next filled block, nil at the end; throws the source's error in its place.
        func nextFilled() throws -> (block: UnsafeMutableRawBufferPointer, count: Int)? {
            condition.lock()
            defer { condition.unlock() }
            while filled.isEmpty && !ended { condition.wait() }
            if !filled.isEmpty { return filled.removeFirst() }
            if let failure { throw failure }
            return nil
        }

        func recycle(_ block: UnsafeMutableRawBufferPointer) {
            condition.lock()
            free.append(block)
            condition.signal()
            condition.unlock()
        }

        func cancel(waiting seconds: Double) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            cancelled = true
            condition.broadcast()
            let deadline = Date(timeIntervalSinceNow: seconds)
            while !stopped && condition.wait(until: deadline) {}
            return stopped
        }
    }
}
