"""Sign-in with a second factor, and the person's own sign-in security pages (issue 17;
``casework.two_factor``, ``casework.api_tokens``; docs/security-sign-in.md).

- ``/sign-in/``: the password. Someone who needs a second factor is not signed in yet:
  the session remembers them for ``PENDING_SECONDS`` and they go on to
- ``/sign-in/code/`` (the app's code) or ``/sign-in/recovery-code/``; or, someone who
  must and has no app yet, ``/sign-in/set-up/`` (QR code and key, confirmed with a code),
  then their ten recovery codes once (``/sign-in/recovery-codes/``).
- ``/account/two-factor/``: whether it is on, recovery codes left, and for those who may
  choose (frontline staff) a link to set it up.
- ``/account/api-tokens/``: the person's working API tokens (name, first characters,
  when made, last used, when they stop working), each revocable; never a token itself.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_http_methods, require_POST

from casework import api_tokens, two_factor
from casework.staff_views import apply_errors, form_page

User = get_user_model()


class SignInView(LoginView):
    """The password; then the second factor for those who need it."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if not two_factor.two_factor_needed(user):
            return super().form_valid(form)
        self.request.session[two_factor.PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
        }
        if two_factor.two_factor_enrolled(user):
            return redirect("two-factor-code")
        return redirect("two-factor-set-up")


def _pending_user(request: HttpRequest) -> Any:
    """The person who gave their password in this session and not yet their code."""
    pending = request.session.get(two_factor.PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > two_factor.PENDING_SECONDS:
        request.session.pop(two_factor.PENDING, None)
        return None
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def _finish_sign_in(request: HttpRequest, user: Any) -> str:
    """Sign the person in (a new session key; ``user_logged_in`` audits it and clears
    the failed attempts) with the second factor given; where they were going."""
    pending = request.session.pop(two_factor.PENDING, {})
    login(request, user, backend=user.backend)
    two_factor.session_verified(request)
    return pending.get("next") or resolve_url("home")


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        strip=True,
        error_messages={"required": "Enter the code"},
    )


def _code_page(request: HttpRequest, recovery: bool) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("login")
    if not two_factor.two_factor_enrolled(user):
        return redirect("two-factor-set-up")
    form = CodeForm(request.POST or None)
    if recovery:
        form.fields["code"].label = "Recovery code"
        form.fields["code"].help_text = "One of the 10 codes you saved when you set up your app."
        form.fields["code"].error_messages["required"] = "Enter a recovery code"
    else:
        form.fields["code"].label = "Code from your authenticator app"
        form.fields["code"].help_text = "The 6-digit code your app shows for Safecase now."
        form.fields["code"].error_messages["required"] = "Enter the code from your app"
    if request.method == "POST" and form.is_valid():
        if two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"], request=request):
            return redirect(_finish_sign_in(request, user))
        if getattr(request, "axes_locked_out", False):
            # django-axes' middleware answers with the lockout page.
            request.session.pop(two_factor.PENDING, None)
            return HttpResponse(status=429)
        wrong = "Enter a correct recovery code" if recovery else two_factor.CODE_WRONG
        apply_errors(form, ValidationError({"code": [wrong]}))
    return form_page(request, "registration/two_factor_code.html", form, recovery=recovery)


@require_http_methods(["GET", "POST"])
def two_factor_code(request: HttpRequest) -> HttpResponse:
    return _code_page(request, recovery=False)


@require_http_methods(["GET", "POST"])
def two_factor_recovery(request: HttpRequest) -> HttpResponse:
    return _code_page(request, recovery=True)


@require_http_methods(["GET", "POST"])
def two_factor_set_up(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: straight after the password for someone who must and
    has none, or from their account page for someone who chooses to."""
    pending = _pending_user(request)
    user = pending or (request.user if request.user.is_authenticated else None)
    if user is None:
        return redirect("login")
    if pending is None and two_factor.two_factor_enrolled(user):
        return redirect("account-two-factor")
    if pending is not None and two_factor.two_factor_enrolled(user):
        return redirect("two-factor-code")
    key = request.session.get(two_factor.SETUP_KEY)
    if not key:
        key = request.session[two_factor.SETUP_KEY] = two_factor.new_key()
    form = CodeForm(request.POST or None)
    form.fields["code"].label = "Code from your authenticator app"
    form.fields["code"].help_text = "After adding Safecase to your app, enter the code it shows."
    form.fields["code"].error_messages["required"] = "Enter the code from your app"
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.two_factor_enrol(user=user, key=key, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            request.session.pop(two_factor.SETUP_KEY, None)
            following = _finish_sign_in(request, user) if pending else resolve_url("home")
            if not pending:
                two_factor.session_verified(request)
            request.session[two_factor.SHOW_RECOVERY_CODES] = {
                "codes": codes,
                "next": following,
            }
            return redirect("two-factor-recovery-codes")
    return form_page(
        request,
        "registration/two_factor_set_up.html",
        form,
        qr_svg=two_factor.qr_svg(user, key),
        manual_key=two_factor.key_for_people(key),
        required=two_factor.two_factor_required(user),
    )


@login_required
@require_http_methods(["GET"])
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """The recovery codes, once, straight after setting up the app."""
    shown = request.session.pop(two_factor.SHOW_RECOVERY_CODES, None)
    if not shown:
        return redirect("account-two-factor")
    context = {"codes": shown["codes"], "next": shown["next"]}
    return render(request, "registration/two_factor_recovery_codes.html", context)


@login_required
@require_http_methods(["GET"])
def account_two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "enrolled": two_factor.two_factor_enrolled(user),
        "required": two_factor.two_factor_required(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "section": "account",
    }
    return render(request, "account/two_factor.html", context)


@login_required
@require_http_methods(["GET"])
def account_api_tokens(request: HttpRequest) -> HttpResponse:
    tokens = api_tokens.api_tokens_for_user(request.user, request.user)
    rows = [
        {
            "token": token,
            "idle_expires_at": token.last_used_at + api_tokens.idle_limit(),
        }
        for token in tokens
    ]
    return render(request, "account/api_tokens.html", {"rows": rows, "section": "account"})


@login_required
@require_POST
def account_api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = api_tokens.api_token_get_for_user(request.user, request.user, pk)
    if token is None:
        raise Http404("No such token.")
    try:
        api_tokens.api_token_revoke(actor=request.user, token=token)
    except PermissionDenied:  # pragma: no cover - the selector gave only the user's own
        raise Http404("No such token.") from None
    messages.success(request, f"The token “{token.name}” was revoked. It no longer works.")
    return redirect("account-api-tokens")
