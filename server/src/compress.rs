//! Compression of answers: tower-http's gzip for answers of 1 KiB or more when the client
//! accepts it ([`when`]), except for requests whose answer is always small
//! ([`answers_small`]), which do not go through the compression layer at all.
//!
//! Why the exception: the compression layer does work on every request it sees, compressed
//! or not (it reads `Accept-Encoding`, checks the answer's headers and the predicate, and
//! wraps the body), about a fifteenth of what an answer of the authorization endpoint cost
//! in all (BENCHMARKS.md run 7). That endpoint is asked on every request of the applications
//! Warden protects, and its answer (one decision and its sentence) is far below the size
//! worth compressing, so it skips the layer.

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{Method, Request, Response};
use std::task::{Context, Poll};
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::{Compression, CompressionLayer};

/// When an answer is compressed (for a client that accepts it): 1 KiB or more, or of a size
/// not known in advance (the streamed exports), and not already compressed (images) or a
/// stream of events; tower-http's default but for the size. Below 1 KiB, gzip costs more
/// time than the bytes it saves take to send.
pub fn when() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("text/event-stream"))
}

/// Requests whose answer is always far below [`when`]'s threshold: a single question to the
/// authorization endpoint (an answer of a few hundred bytes; a batch's can be kilobytes).
pub fn answers_small<B>(req: &Request<B>) -> bool {
    req.method() == Method::POST && req.uri().path() == "/api/v1/authorize"
}

/// The layer: [`Compress`] around the service it wraps.
#[derive(Clone)]
pub struct CompressLayer<P> {
    compression: CompressionLayer<P>,
}

/// Compression as [`when`] says, but for what [`answers_small`].
pub fn layer() -> CompressLayer<impl Predicate> {
    CompressLayer {
        compression: CompressionLayer::new().compress_when(when()),
    }
}

impl<S: Clone, P: Predicate> tower::Layer<S> for CompressLayer<P> {
    type Service = Compress<S, P>;

    fn layer(&self, inner: S) -> Compress<S, P> {
        Compress {
            compressed: self.compression.layer(inner.clone()),
            plain: inner,
        }
    }
}

/// The service of [`CompressLayer`]: the request goes to the compression layer, or, when
/// [`answers_small`], straight to the service under it.
#[derive(Clone)]
pub struct Compress<S, P> {
    plain: S,
    compressed: Compression<S, P>,
}

impl<S, P, ReqBody, ResBody> tower::Service<Request<ReqBody>> for Compress<S, P>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError> + Send + Sync,
    P: Predicate,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future =
        CompressFuture<S::Future, <Compression<S, P> as tower::Service<Request<ReqBody>>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both wrap the same service (the compression layer's `poll_ready` is its inner's).
        std::task::ready!(self.plain.poll_ready(cx))?;
        self.compressed.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        if answers_small(&req) {
            CompressFuture::Plain {
                future: self.plain.call(req),
            }
        } else {
            CompressFuture::Compressed {
                future: self.compressed.call(req),
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of [`Compress`], its body as axum's.
    #[project = CompressFutureProjection]
    pub enum CompressFuture<A, C> {
        Plain { #[pin] future: A },
        Compressed { #[pin] future: C },
    }
}

impl<A, C, E, B1, B2> std::future::Future for CompressFuture<A, C>
where
    A: std::future::Future<Output = Result<Response<B1>, E>>,
    C: std::future::Future<Output = Result<Response<B2>, E>>,
    B1: HttpBody<Data = Bytes> + Send + 'static,
    B1::Error: Into<axum::BoxError>,
    B2: HttpBody<Data = Bytes> + Send + 'static,
    B2::Error: Into<axum::BoxError>,
{
    type Output = Result<Response<Body>, E>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            CompressFutureProjection::Plain { future } => {
                future.poll(cx).map(|res| res.map(|res| res.map(Body::new)))
            }
            CompressFutureProjection::Compressed { future } => {
                future.poll(cx).map(|res| res.map(|res| res.map(Body::new)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_single_question_to_the_authorization_endpoint_skips_compression() {
        let req = |method: Method, path: &str| {
            Request::builder()
                .method(method)
                .uri(path)
                .body(())
                .unwrap()
        };
        assert!(answers_small(&req(Method::POST, "/api/v1/authorize")));
        assert!(answers_small(&req(Method::POST, "/api/v1/authorize?x=1")));
        for (method, path) in [
            (Method::POST, "/api/v1/authorize/batch"),
            (Method::GET, "/api/v1/authorize"),
            (Method::GET, "/api/v1/users"),
            (Method::GET, "/"),
        ] {
            assert!(
                !answers_small(&req(method.clone(), path)),
                "{method} {path}"
            );
        }
    }
}
