import Vapor

// The ceiling every HTTP benchmark is measured against: Vapor answering "Hello, world!" with nothing else to do,
// built from the same dependencies, in the same configuration, on the same machine, in the same run.
// `hello-world serve --env production --port 18090`, then GET /hello.
let environment = try Environment.detect()
let app = try await Application.make(environment)
app.logger.logLevel = .error
app.get("hello") { _ in "Hello, world!" }
do {
    try await app.execute()
} catch {
    try? await app.asyncShutdown()
    throw error
}
try await app.asyncShutdown()
