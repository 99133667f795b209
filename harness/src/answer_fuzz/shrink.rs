//! Shrinking: simpler answers of the same class than a failing one (shorter body,
//! fewer changes, a smaller delay), for the fuzzer to try while the scenario still
//! fails.

use std::time::Duration;

use serde_json::Value;

use super::mutate::{Base, Class, Mutant, HUGE_MIN};
use super::parts::{at, with};

/// The least a slow answer stays past the IUT's timeout.
const LEAST_LATE: Duration = Duration::from_millis(200);

/// How big an answer is, for choosing the smallest of several failing ones.
pub fn weight(m: &Mutant) -> u128 {
    m.answer.body.len() as u128 + 64 * m.answer.headers.len() as u128 + m.answer.delay.as_millis()
}

/// Simpler answers than `m`, of its class, none equal to `m` or to the valid answer.
pub fn candidates(base: &Base, m: &Mutant) -> Vec<Mutant> {
    let mut out: Vec<Mutant> = Vec::new();
    let a = &m.answer;
    let mut push = |label: String, edit: &dyn Fn(&mut Mutant)| {
        let mut c = m.clone();
        edit(&mut c);
        c.label = label;
        if c.answer != m.answer && c.answer != base.valid && !out.contains(&c) {
            out.push(c);
        }
    };
    for (i, (name, _)) in a.headers.iter().enumerate() {
        push(format!("{} (without header {name})", m.label), &|c| {
            c.answer.headers.remove(i);
        });
    }
    if m.class != Class::ContentType && a.content_type != base.valid.content_type {
        push(m.label.clone(), &|c| {
            c.answer.content_type = base.valid.content_type.clone();
        });
    }
    match m.class {
        Class::Slow => {
            let late = a.delay.saturating_sub(base.timing.peer_timeout);
            if late / 2 >= LEAST_LATE {
                let delay = base.timing.peer_timeout + late / 2;
                push(
                    format!(
                        "answered {:.2} s after the IUT's {:.1} s timeout",
                        (late / 2).as_secs_f64(),
                        base.timing.peer_timeout.as_secs_f64()
                    ),
                    &|c| c.answer.delay = delay,
                );
            }
        }
        Class::Status => {
            if a.body != base.valid.body {
                push(format!("{} (valid body)", m.label), &|c| {
                    c.answer.body = base.valid.body.clone();
                });
            }
            push(format!("{} (empty body)", m.label), &|c| {
                c.answer.body = String::new();
            });
        }
        Class::Huge => {
            if let Some(Value::String(s)) = a
                .body_json()
                .as_ref()
                .and_then(|b| at(b, &base.decisive).cloned())
                .as_ref()
            {
                let size = (s.len() / 2).max(HUGE_MIN);
                if size < s.len() {
                    let body = a.body_json().unwrap_or(Value::Null);
                    let shorter = s.get(..size).unwrap_or(s).to_string();
                    let text =
                        with(&body, &base.decisive, Some(Value::String(shorter))).to_string();
                    push(
                        format!("{} = a string of {size} bytes", base.decisive.join(".")),
                        &|c| c.answer.body = text.clone(),
                    );
                }
            }
        }
        Class::Empty | Class::Closed => {}
        _ => match a.body_json() {
            Some(Value::Object(object)) if object.len() > 1 => {
                for key in object.keys() {
                    if base.decisive.first() == Some(key) {
                        continue;
                    }
                    let mut fewer = object.clone();
                    fewer.shift_remove(key);
                    let text = Value::Object(fewer).to_string();
                    push(format!("{} (without {key})", m.label), &|c| {
                        c.answer.body = text.clone()
                    });
                }
            }
            Some(_) => {}
            None => {
                let chars: Vec<char> = a.body.chars().collect();
                for keep in [chars.len() / 2, chars.len().saturating_sub(1)] {
                    if keep > 0 && keep < chars.len() {
                        let text: String = chars.iter().take(keep).collect();
                        push(format!("{} (first {keep} characters)", m.label), &|c| {
                            c.answer.body = text.clone()
                        });
                    }
                }
            }
        },
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{AnswerCase, AnswerTiming};
    use serde_json::json;

    fn base() -> Base {
        let body = json!({"ok": true, "n": 1});
        Base {
            valid: AnswerCase::json(200, &body),
            body,
            decisive: vec!["ok".into()],
            timing: AnswerTiming {
                peer_timeout: Duration::from_secs(1),
                silence: Duration::from_secs(1),
            },
        }
    }

    fn mutant(class: Class, edit: impl FnOnce(&mut AnswerCase)) -> Mutant {
        let mut answer = base().valid;
        edit(&mut answer);
        Mutant {
            class,
            label: "m".into(),
            answer,
        }
    }

    #[test]
    fn candidates_are_simpler_and_never_the_valid_answer() {
        let b = base();
        let slow = mutant(Class::Slow, |a| a.delay = Duration::from_millis(2400));
        let shorter = candidates(&b, &slow);
        assert_eq!(shorter.len(), 1);
        assert_eq!(shorter[0].answer.delay, Duration::from_millis(1700));
        assert!(weight(&shorter[0]) < weight(&slow));

        let status = mutant(Class::Status, |a| {
            a.status = 429;
            a.headers.push(("retry-after".into(), "2".into()));
        });
        let simpler = candidates(&b, &status);
        assert!(simpler.iter().any(|c| c.answer.headers.is_empty()));
        assert!(simpler.iter().any(|c| c.answer.body.is_empty()));
        assert!(simpler.iter().all(|c| c.answer.status == 429));

        let garbage = mutant(Class::Garbage, |a| a.body = "abcdefgh".into());
        let prefixes: Vec<String> = candidates(&b, &garbage)
            .into_iter()
            .map(|c| c.answer.body)
            .collect();
        assert_eq!(prefixes, ["abcd", "abcdefg"]);

        let extra = mutant(Class::ExtraFields, |a| {
            a.body = json!({"OK": true, "n": 1, "zz": 2}).to_string()
        });
        assert_eq!(candidates(&b, &extra).len(), 3, "one field fewer each");
        assert!(candidates(&b, &mutant(Class::Empty, |a| a.body.clear())).is_empty());
    }

    #[test]
    fn huge_bodies_halve_down_to_the_least_huge() {
        let b = base();
        let big = "x".repeat(HUGE_MIN * 3);
        let huge = mutant(Class::Huge, |a| {
            a.body = json!({"ok": big, "n": 1}).to_string()
        });
        let smaller = candidates(&b, &huge);
        assert_eq!(smaller.len(), 1);
        assert!(smaller[0].answer.body.len() < huge.answer.body.len());
        assert!(smaller[0].answer.body.len() > HUGE_MIN);
    }
}
