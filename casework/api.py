"""API sign-in: a token for a username and password (shared/API.md "Authentication"),
and sign-out: ``DELETE`` revokes the token sent (issue 17; ``casework.api_tokens``).

Each sign-in makes a new token for one device, named by the optional ``name``; only its
digest is kept. Someone who must use two-factor sign-in (``casework.two_factor``) also
sends ``otp``: a code from their authenticator app or one of their recovery codes; a
wrong code counts towards the same lockout as a wrong password.

The password is checked by ``django.contrib.auth.authenticate`` with the request, as the
web sign-in does, so django-axes counts a failure towards the same lockout (per username
and address) and refuses a locked-out user whatever password they give. A failure is
audited by the same signal receiver as on the web; a success is a sign-in too, announced
with Django's ``user_logged_in`` as ``login()`` would (the audit records it, axes clears
the failures), but it starts no session: the client sends the token instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework import api_tokens, two_factor
from casework.api_tokens import ApiTokenAuthentication, api_token_issue, api_token_revoke
from config.api_errors import error_responses

BAD_CREDENTIALS = "Enter a correct username and password."
LOCKED_OUT = (
    "Too many failed sign-ins. This account is locked for a while; try again later or ask "
    "an administrator to unlock it."
)


OTP_NEEDED = (
    "Two-factor sign-in is on for this account: send the code from your authenticator "
    'app, or a recovery code, as "otp".'
)
OTP_NOT_SET_UP = (
    "Set up two-factor sign-in on the web first (sign in at /sign-in/), then ask for a token."
)
OTP_WRONG = "Enter a correct username, password and code."


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="What this token is for, e.g. the device or script; shown on the tokens page.",
    )
    otp = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="For accounts with two-factor sign-in: the authenticator app's code or a "
        "recovery code.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as 'Authorization: Token <token>'.")
    name = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="However much it is used.")
    idle_expires_at = serializers.DateTimeField(
        help_text="Unless used before then; each use moves it on."
    )


class TokenView(APIView):
    permission_classes = [AllowAny]

    def get_authenticators(self) -> list[Any]:
        # Signing in needs no credentials; signing out needs the token itself (a session
        # has its own sign-out page).
        if self.request is not None and self.request.method == "DELETE":
            return [ApiTokenAuthentication()]
        return []

    @extend_schema(
        operation_id="auth_token_create",
        summary="Sign in: a token for a username and password",
        auth=[],
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        http_request = request._request
        user = authenticate(
            request=http_request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            # axes' middleware would answer with the web sign-in's lockout page; the API
            # answers in its own shape instead.
            http_request.axes_locked_out = False
            return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None:
            return _unauthorized(BAD_CREDENTIALS)
        if two_factor.two_factor_needed(user):
            code = form.validated_data.get("otp", "")
            if not two_factor.two_factor_enrolled(user):
                return _unauthorized(OTP_NOT_SET_UP)
            if not code:
                return _unauthorized(OTP_NEEDED)
            if not two_factor.two_factor_verify(user=user, code=code, request=http_request):
                if getattr(http_request, "axes_locked_out", False):
                    http_request.axes_locked_out = False
                    return Response(
                        {"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS
                    )
                return _unauthorized(OTP_WRONG)
        with transaction.atomic():
            token, raw = api_token_issue(user=user, name=form.validated_data.get("name", ""))
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response(
            {
                "token": raw,
                "name": token.name,
                "expires_at": token.expires_at,
                "idle_expires_at": token.last_used_at + api_tokens.idle_limit(),
            }
        )

    @extend_schema(
        operation_id="auth_token_destroy",
        summary="Sign out: revoke the token sent",
        request=None,
        responses={204: None, **error_responses(401)},
    )
    def delete(self, request: Request) -> Response:
        if request.auth is None:
            return _unauthorized("Send the token to revoke as 'Authorization: Token <token>'.")
        api_token_revoke(
            actor=request.user, token=request.auth, reason=api_tokens.REVOKED_BY_CLIENT
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _unauthorized(detail: str) -> Response:
    return Response(
        {"detail": detail},
        status=status.HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": "Token"},
    )
