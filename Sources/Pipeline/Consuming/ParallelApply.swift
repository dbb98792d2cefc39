import Dispatch
import Kafka

/// Applies the parts of a batch that belong to different tasks on up to `lanes` threads at
/// once (`--workers`). Each part goes to its own task's file and connection, so the parts share
/// nothing but the offset book (locked) and the dead-letter publisher (serialized).
///
/// `@unchecked Sendable` because the sessions are not: each lane touches only its own parts
/// (every `lanes`-th, starting at its number) and writes only their result slots, and the
/// caller reads the slots after every lane finished (`DispatchGroup.wait` orders the writes
/// before the reads).
final class ParallelApply: @unchecked Sendable {
    typealias Part = (session: StateFileSession, messages: [ConsumedMessage])
    typealias PartResult = Result<(BatchOutcome, BatchTimings), Error>

    private let parts: [Part]
    private let slots: UnsafeMutableBufferPointer<PartResult?>

    init(_ parts: [Part]) {
        self.parts = parts
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
        for lane in 0..<count {
            DispatchQueue.global().async(group: group) { self.runLane(lane, of: count) }
        }
        group.wait()
        return slots.map { $0! }
    }

    private func runLane(_ lane: Int, of lanes: Int) {
        for index in stride(from: lane, to: parts.count, by: lanes) {
            slots[index] = Result { try parts[index].session.apply(parts[index].messages) }
        }
    }
}
