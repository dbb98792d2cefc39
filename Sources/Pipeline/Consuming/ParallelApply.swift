import Dispatch
import Synchronization
import Kafka

/// Applies the parts of a batch that belong to different tasks on up to `lanes` threads at
/// once (`--workers`). Each part goes to its own task's file and connection, so the parts share
/// nothing but the offset book (locked) and the dead-letter publisher (serialized).
///
/// Lanes take the next part from a shared counter, largest parts first, so that one big part
/// does not leave the other lanes idle behind a fixed share (parts are as uneven as the
/// partitions a fetch happened to return).
///
/// `@unchecked Sendable` because the sessions are not: each part is taken by exactly one lane
/// (the atomic counter hands out each index once), which writes only that part's result slot,
/// and the caller reads the slots after every lane finished (`DispatchGroup.wait` orders the
/// writes before the reads).
final class ParallelApply: @unchecked Sendable {
    typealias Part = (session: StateFileSession, messages: [ConsumedMessage])
    typealias PartResult = Result<(BatchOutcome, BatchTimings), Error>

    private let parts: [Part]
    /// Part indexes, largest part first.
    private let order: [Int]
    private let next = Atomic(0)  // next position in `order`
    private let slots: UnsafeMutableBufferPointer<PartResult?>

    init(_ parts: [Part]) {
        self.parts = parts
        order = parts.indices.sorted { parts[$0].messages.count > parts[$1].messages.count }
        slots = .allocate(capacity: parts.count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// Every part's result, in the order of the parts.
    func run(lanes: Int) -> [PartResult] {
        let group = DispatchGroup()
        let count = max(1, min(lanes, parts.count))
        for _ in 0..<count {
            DispatchQueue.global().async(group: group) { self.runLane() }
        }
        group.wait()
        return slots.map { $0! }
    }

    private func runLane() {
        while true {
            let taken = next.add(1, ordering: .relaxed).oldValue
            guard taken < order.count else { return }
            let index = order[taken]
            slots[index] = Result { try parts[index].session.apply(parts[index].messages, continuing: { nil }) }
        }
    }
}
