//! Server functions: typed endpoints shared by the browser and the server, one module per
//! area. Every one is a public endpoint: it reaches a service only through the request gate
//! (`backend::context::serve`), and takes the tenant from the session, never from input.

pub mod accounts;
pub mod audit;
pub mod credentials;
pub mod mfa;
pub mod outbox;
pub mod roles;
pub mod session;
pub mod setup;
pub mod tenants;

pub use accounts::*;
pub use audit::*;
pub use credentials::*;
pub use mfa::*;
pub use outbox::*;
pub use roles::*;
pub use session::*;
pub use setup::*;
pub use tenants::*;
