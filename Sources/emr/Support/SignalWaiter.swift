import Foundation
import Synchronization

/// Blocks until SIGINT or SIGTERM arrives; a second signal exits at once.
enum SignalWaiter {
    /// Returns the name of the signal that arrived.
    static func waitForTermination() -> String {
        let arrived = DispatchSemaphore(value: 0)
        let received = SignalBox()
        var sources: [DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if received.set(name) { arrived.signal() } else { exit(130) }
            }
            source.resume()
            sources.append(source)
        }
        arrived.wait()
        return received.name ?? "signal"
    }
}

/// The first signal's name, set once.
private final class SignalBox: Sendable {
    private let first = Mutex<String?>(nil)

    func set(_ name: String) -> Bool {
        first.withLock { value in
            if value != nil { return false }
            value = name
            return true
        }
    }

    var name: String? { first.withLock { $0 } }
}
