//! F (abort while in flight): DOM's "add an abort algorithm" for every type, and
//! `Engine::cancel` for the embedder's own cancellations.

use std::pin::pin;

use credwell_core::{
    AbortController, AbortReason, ErrorName, Rejection, RequestId, SaveDecision, Scripted,
};
use futures::executor::block_on;
use serde_json::json;

use crate::support::*;

const SITE: &str = "https://example.com";

#[test]
fn request_a_credential_f_abort_while_chooser_open_rejects_with_the_reason() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let controller = AbortController::new();
    let signal = controller.signal();
    let mut call = pin!(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal))
    );
    poll_pending(call.as_mut());
    assert_eq!(h.choosers().len(), 1, "the chooser is open");
    controller.abort(AbortReason::Value(json!({"why": "navigated"})));
    assert_eq!(
        rejection(block_on(call)),
        Rejection::Aborted(AbortReason::Value(json!({"why": "navigated"})))
    );
}

#[test]
fn request_a_credential_f_abort_while_chooser_open_default_reason_is_abort_error() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let controller = AbortController::new();
    let signal = controller.signal();
    let mut call = pin!(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal))
    );
    poll_pending(call.as_mut());
    controller.abort(AbortReason::Default);
    assert_rejects(block_on(call), ErrorName::AbortError);
}

#[test]
fn request_a_credential_f_abort_while_chooser_open_releases_the_active_type() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    h.add_password(SITE, "carol", "pw");
    let caller = h.caller(SITE);
    let controller = AbortController::new();
    let signal = controller.signal();
    let mut call = pin!(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal))
    );
    poll_pending(call.as_mut());
    controller.abort(AbortReason::Value(json!("x")));
    let _ = block_on(call.as_mut());
    // Same document, new call: not a concurrent request any more.
    let mut again = caller.clone();
    again.request = RequestId(fresh_id());
    h.mediator.push([Scripted::Choose(1)]);
    let got = h.get(&again, json!({"password": true})).expect("resolves");
    assert_eq!(id_of(&got), Some("carol"));
}

#[test]
fn request_a_credential_f_abort_after_the_call_with_concurrent_join() {
    // The abort runs in a second future that starts once the chooser is open.
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let controller = AbortController::new();
    let signal = controller.signal();
    let call = h
        .engine
        .get(&caller, leak(json!({"password": true})), Some(&signal));
    let aborter = async {
        // Yield until the chooser has been shown, then abort.
        futures::future::poll_fn(|cx| {
            if h.choosers().is_empty() {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        controller.abort(AbortReason::Value(json!("late")));
    };
    let (result, ()) = block_on(async { futures::join!(call, aborter) });
    assert_eq!(
        rejection(result),
        Rejection::Aborted(AbortReason::Value(json!("late")))
    );
}

#[test]
fn request_a_credential_f_cancel_while_chooser_open_rejects_with_the_reason() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let mut call = pin!(h.engine.get(&caller, leak(json!({"password": true})), None));
    poll_pending(call.as_mut());
    assert!(
        h.engine
            .cancel(caller.request, AbortReason::Value(json!("tab closed")))
    );
    assert_eq!(
        rejection(block_on(call.as_mut())),
        Rejection::Aborted(AbortReason::Value(json!("tab closed")))
    );
    // The call is gone: cancelling it again finds nothing.
    assert!(!h.engine.cancel(caller.request, AbortReason::Default));
    // And its type was released.
    assert_eq!(
        h.get(&caller, json!({"password": true, "mediation": "silent"}))
            .ok(),
        Some(None)
    );
}

#[test]
fn request_a_credential_f_cancel_with_select_against_a_second_future() {
    let h = Harness::new([Scripted::Hang]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    let call = pin!(h.engine.get(&caller, leak(json!({"password": true})), None));
    let canceller = pin!(async {
        futures::future::poll_fn(|cx| {
            if h.choosers().is_empty() {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        assert!(h.engine.cancel(caller.request, AbortReason::Default));
        // Stay pending so that select resolves with the call.
        std::future::pending::<()>().await;
    });
    match block_on(futures::future::select(call, canceller)) {
        futures::future::Either::Left((result, _)) => {
            assert_rejects(result, ErrorName::AbortError);
        }
        futures::future::Either::Right(_) => panic!("the canceller never finishes"),
    }
}

#[test]
fn request_a_credential_f_cancel_of_an_unknown_request_is_false() {
    let h = Harness::new([]);
    assert!(!h.engine.cancel(RequestId(u64::MAX), AbortReason::Default));
}

#[test]
fn request_a_credential_f_cancel_after_settling_is_false() {
    let h = Harness::new([Scripted::Cancel]);
    h.add_password(SITE, "alice", "pw");
    let caller = h.caller(SITE);
    assert_eq!(h.get(&caller, json!({"password": true})).ok(), Some(None));
    assert!(!h.engine.cancel(caller.request, AbortReason::Default));
}

#[test]
fn request_a_credential_f_abort_after_resolution_changes_nothing() {
    let h = Harness::new([]);
    h.add_password(SITE, "alice", "pw");
    h.set_prevent_silent_access(SITE, false);
    let caller = h.caller(SITE);
    let controller = AbortController::new();
    let signal = controller.signal();
    let got = block_on(
        h.engine
            .get(&caller, leak(json!({"password": true})), Some(&signal)),
    );
    controller.abort(AbortReason::Default);
    assert_eq!(
        id_of(&got.expect("resolved before the abort")),
        Some("alice")
    );
}

#[test]
fn store_a_credential_g4_cancel_while_save_prompt_open_rejects_and_stores_nothing() {
    let h = Harness::new([Scripted::Hang]);
    let caller = h.caller(SITE);
    let mut call = pin!(h.engine.store(
        &caller,
        leak(json!({"type": "password", "id": "alice", "password": "pw"}))
    ));
    poll_pending(call.as_mut());
    assert_eq!(h.save_prompts().len(), 1, "the save prompt is open");
    assert!(
        h.engine
            .cancel(caller.request, AbortReason::Value(json!("closed")))
    );
    assert_eq!(
        rejection(block_on(call.as_mut())),
        Rejection::Aborted(AbortReason::Value(json!("closed")))
    );
    assert!(h.store.is_empty());
    // The password type is free again for this document.
    h.mediator.push([Scripted::Save(SaveDecision::Save)]);
    let mut again = caller.clone();
    again.request = RequestId(fresh_id());
    h.store(
        &again,
        json!({"type": "password", "id": "alice", "password": "pw"}),
    )
    .expect("stored");
    assert_eq!(h.store.len(), 1);
}

#[test]
fn create_a_credential_h7_abort_signal_is_honoured_with_a_type() {
    let h = Harness::new([]);
    let caller = h.caller(SITE);
    let signal = credwell_core::AbortSignal::aborted_with(AbortReason::Value(json!(["r"])));
    let result = block_on(h.engine.create(
        &caller,
        leak(json!({"password": {"id": "a", "password": "p"}})),
        Some(&signal),
    ));
    assert_eq!(
        rejection(result),
        Rejection::Aborted(AbortReason::Value(json!(["r"])))
    );
}
