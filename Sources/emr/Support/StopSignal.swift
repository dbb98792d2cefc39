import Foundation
import Synchronization

/// SIGINT/SIGTERM as a flag a loop checks between batches (the batch in progress finishes and
/// is committed); a second signal exits at once, which is still safe because a batch is one
/// transaction. Keep the value alive while the loop runs: it owns the signal sources.
final class StopSignal {
    /// What the signal handlers (on a Dispatch queue) share with the loop.
    private final class Flag: Sendable {
        let stopped = Atomic<Bool>(false)
        let name = Mutex<String?>(nil)
    }

    private let flag = Flag()
    private let sources: [DispatchSourceSignal]

    init() {
        let flag = self.flag
        sources = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")].map { number, label in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if flag.stopped.exchange(true, ordering: .acquiringAndReleasing) { exit(130) }
                flag.name.withLock { $0 = label }
                ExitStatus.printError("emr: \(label): finishing the current batch, then stopping (again to exit at once)")
            }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    var isSet: Bool { flag.stopped.load(ordering: .acquiring) }
    var signalName: String? { flag.name.withLock { $0 } }
}
