import Foundation

/// Sorts (key, payload) byte records with bounded memory: records collect in a buffer; when it
/// passes half the budget it is sorted and spilled to a temporary run file on a thread of its
/// own (``RunWriter``) while the next half fills; `finish` merges the runs (and what is left in
/// memory) back in key order. Keys are compared as bytes and should be unique (append a
/// sequence number) so that the order is fully determined.
///
/// The buffer is one byte arena (each record's key, then its payload) and a list of where each
/// record lies in it: no object per record, so sorting and spilling move plain integers.
public final class ExternalSorter {
    public struct Record {
        public var key: [UInt8]
        public var payload: [UInt8]
    }

    /// Where a buffered record lies in the arena.
    struct Entry {
        var offset: Int
        var keyLength: Int
        var payloadLength: Int
    }

    private let memoryBudget: Int
    private let directory: URL
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    private var bufferedBytes = 0
    private var runs: [URL] = []
    /// The run being written, if any (one at a time).
    private var writing: RunWriter?
    public private(set) var count = 0

    /// One buffer fills while the other is written: each takes half the budget.
    private var bufferBudget: Int { max(1, memoryBudget / 2) }

    /// - Parameter directory: where run files go (created when the first is written, removed
    ///   with the sorter); a new folder in the temporary directory by default.
    public init(memoryBudget: Int = 32 << 20, directory: URL? = nil) {
        self.memoryBudget = memoryBudget
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("emr-sort-\(UUID().uuidString)")
    }

    deinit {
        try? finishWriting()
        try? FileManager.default.removeItem(at: directory)
    }

    public func add(key: [UInt8], payload: [UInt8]) throws {
        // The arena's capacity, once, so that growing by doubling never holds twice the budget.
        if arena.capacity == 0 { arena.reserveCapacity(bufferBudget + 4096) }
        entries.append(Entry(offset: arena.count, keyLength: key.count, payloadLength: payload.count))
        arena.append(contentsOf: key)
        arena.append(contentsOf: payload)
        bufferedBytes += key.count + payload.count + MemoryLayout<Entry>.stride
        count += 1
        if bufferedBytes >= bufferBudget { try spill() }
    }

    /// Number of run files written so far (0 means everything fit in memory).
    public var spilledRuns: Int { runs.count }

    /// Hands back every record in key order. The sorter must not be added to afterwards.
    public func finish() throws -> SortedRecordStream {
        try finishWriting()
        var sources: [RecordSource] = [MemorySource(arena: arena, entries: Self.sorted(entries, in: arena))]
        arena = []
        entries = []
        bufferedBytes = 0
        for run in runs { sources.append(try RunFileSource(url: run)) }
        return try SortedRecordStream(sources: sources, owner: self)
    }

    /// `entries` in the order of their keys in `arena`.
    static func sorted(_ entries: [Entry], in arena: [UInt8]) -> [Entry] {
        arena.withUnsafeBufferPointer { bytes in
            entries.sorted { a, b in
                KeyOrder.compare(UnsafeBufferPointer(rebasing: bytes[a.offset..<(a.offset + a.keyLength)]),
                                 UnsafeBufferPointer(rebasing: bytes[b.offset..<(b.offset + b.keyLength)])) < 0
            }
        }
    }

    /// Waits for the run being written (once: a failed one is not waited for again).
    private func finishWriting() throws {
        let writer = writing
        writing = nil
        try writer?.finish()
    }

    /// Hands the full buffer to a ``RunWriter`` (after the previous one finished) and starts an
    /// empty one.
    private func spill() throws {
        try finishWriting()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent("run-\(runs.count)")
        runs.append(url)
        writing = RunWriter(url: url, arena: arena, entries: entries)
        let capacity = entries.count
        arena = []
        entries = []
        entries.reserveCapacity(capacity)
        bufferedBytes = 0
    }
}

/// Records in key order, merged from the sorter's runs: a binary min-heap of the runs by
/// their next key (ties by run, so the merge is deterministic).
public final class SortedRecordStream {
    private var sources: [RecordSource]
    /// Each source's next record, key and payload apart (nil payload: the source is done), so
    /// that comparing heads never copies a record.
    private var keys: [[UInt8]]
    private var payloads: [[UInt8]?]
    /// Indexes of the sources with a record left, as a min-heap on their head's key.
    private var heap: [Int] = []
    private let owner: ExternalSorter  // keeps the run files alive

    init(sources: [RecordSource], owner: ExternalSorter) throws {
        self.sources = sources
        self.owner = owner
        keys = Array(repeating: [], count: sources.count)
        payloads = Array(repeating: nil, count: sources.count)
        for i in sources.indices where try load(i) { push(i) }
    }

    /// Reads source `i`'s next record into the heads; false when it has none left.
    private func load(_ i: Int) throws -> Bool {
        guard let record = try sources[i].next() else {
            keys[i] = []
            payloads[i] = nil
            return false
        }
        keys[i] = record.key
        payloads[i] = record.payload
        return true
    }

    public func next() throws -> ExternalSorter.Record? {
        guard let top = heap.first else { return nil }
        let record = ExternalSorter.Record(key: keys[top], payload: payloads[top]!)
        if try !load(top) {
            let last = heap.removeLast()
            if !heap.isEmpty { heap[0] = last }
        }
        if !heap.isEmpty { siftDown(0) }
        return record
    }

    // The heap is walked through buffers taken once per push or sift, not by subscripting the
    // stored arrays: Swift checks each access to a class's stored property for exclusivity at
    // run time (see ``CSVReader``).
    private static func before(_ keys: UnsafeBufferPointer<[UInt8]>, _ a: Int, _ b: Int) -> Bool {
        let order = KeyOrder.compare(keys[a], keys[b])
        return order != 0 ? order < 0 : a < b
    }

    private func push(_ source: Int) {
        heap.append(source)
        keys.withUnsafeBufferPointer { keys in
            heap.withUnsafeMutableBufferPointer { heap in
                var child = heap.count - 1
                while child > 0 {
                    let parent = (child - 1) / 2
                    guard Self.before(keys, heap[child], heap[parent]) else { break }
                    heap.swapAt(child, parent)
                    child = parent
                }
            }
        }
    }

    private func siftDown(_ start: Int) {
        keys.withUnsafeBufferPointer { keys in
            heap.withUnsafeMutableBufferPointer { heap in
                var parent = start
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var smallest = parent
                    if left < heap.count, Self.before(keys, heap[left], heap[smallest]) { smallest = left }
                    if right < heap.count, Self.before(keys, heap[right], heap[smallest]) { smallest = right }
                    guard smallest != parent else { return }
                    heap.swapAt(parent, smallest)
                    parent = smallest
                }
            }
        }
    }
}

protocol RecordSource {
    func next() throws -> ExternalSorter.Record?
}

/// What was still buffered at `finish`, in key order.
private final class MemorySource: RecordSource {
    private var arena: [UInt8]
    private var entries: [ExternalSorter.Entry]
    private var index = 0

    init(arena: [UInt8], entries: [ExternalSorter.Entry]) {
        self.arena = arena
        self.entries = entries
    }

    func next() throws -> ExternalSorter.Record? {
        guard index < entries.count else {
            arena = []
            entries = []
            return nil
        }
        let entry = entries[index]
        index += 1
        let payload = entry.offset + entry.keyLength
        return ExternalSorter.Record(key: Array(arena[entry.offset..<payload]), payload: Array(arena[payload..<(payload + entry.payloadLength)]))
    }
}

/// A spilled run read back in chunks: `[u32 length][bytes]` for the key, then the payload.
final class RunFileSource: RecordSource {
    private let handle: FileHandle
    /// Where reading stands; moved into a local for each record (see ``CSVReader``).
    private var input = Input()

    private struct Input {
        var buffer: [UInt8] = []
        var position = 0
        var exhausted = false
    }

    init(url: URL) throws {
        handle = try FileHandle(forReadingFrom: url)
    }

    deinit { try? handle.close() }

    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let length = UInt32(bytes.count)
        for shift in [0, 8, 16, 24] as [UInt32] { out.append(UInt8(truncatingIfNeeded: length >> shift)) }
        out.append(contentsOf: bytes)
    }

    func next() throws -> ExternalSorter.Record? {
        var input = Input()
        swap(&input, &self.input)
        defer { swap(&input, &self.input) }
        guard let key = try field(&input) else { return nil }
        guard let payload = try field(&input) else { throw CocoaError(.fileReadCorruptFile) }
        return ExternalSorter.Record(key: key, payload: payload)
    }

    private func field(_ input: inout Input) throws -> [UInt8]? {
        guard try ensure(4, &input) else { return nil }
        let length = input.buffer.withUnsafeBufferPointer { bytes in
            var length = 0
            for (shift, at) in (input.position..<(input.position + 4)).enumerated() { length |= Int(bytes[at]) << (8 * shift) }
            return length
        }
        input.position += 4
        guard try ensure(length, &input) else { throw CocoaError(.fileReadCorruptFile) }
        defer { input.position += length }
        return Array(input.buffer[input.position..<(input.position + length)])
    }

    private func ensure(_ count: Int, _ input: inout Input) throws -> Bool {
        while input.buffer.count - input.position < count {
            if input.exhausted { return false }
            guard let chunk = try handle.read(upToCount: max(1 << 16, count)), !chunk.isEmpty else {
                input.exhausted = true
                return false
            }
            input.buffer.removeFirst(input.position)
            input.position = 0
            input.buffer.append(contentsOf: chunk)
        }
        return true
    }
}

/// Byte-wise key order (memcmp, then length).
enum KeyOrder {
    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in compare(pa, pb) } }
    }

    static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let n = min(a.count, b.count)
        let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
        return c != 0 ? Int(c) : a.count - b.count
    }
}
