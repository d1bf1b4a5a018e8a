"""Bodies and answers of sign-in, sessions and staff accounts (DESIGN §9's HTTP table)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.common import AreaCode, Identifier, Role, ShortText

MobilePhone = Annotated[str, Field(pattern=r"^1[3-9][0-9]{9}$",
                                   description="A mainland mobile number, 11 digits")]
SignInCode = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="Six digits")]
Password = Annotated[str, Field(min_length=8, max_length=128,
                                description="8-128 characters")]
RefreshToken = Annotated[str, Field(min_length=20, max_length=200)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeIn(In):
    phone: MobilePhone


class CodeOut(BaseModel):
    expires_in_s: int
    sent_to: str = Field(description="The phone, masked")


class SignUpIn(In):
    phone: MobilePhone
    code: SignInCode
    name: ShortText
    area: AreaCode
    address: Annotated[str, Field(min_length=1, max_length=200)]
    password: Password | None = None


class SignInIn(In):
    phone: MobilePhone
    password: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    code: SignInCode | None = None
    role: Role | None = Field(None, description="Which of the account's roles to act as; "
                              "by default the first it holds")

    @model_validator(mode="after")
    def one_way(self) -> SignInIn:
        if (self.password is None) == (self.code is None):
            raise ValueError("give either a password or a code")
        return self


class RefreshIn(In):
    refresh_token: RefreshToken


class PasswordIn(In):
    old_password: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        None, description="Required unless the account has no password yet or the session "
        "was opened with a one-time password")
    new_password: Password


class GrantOut(BaseModel):
    role: Role
    subject: str
    scope: str | None = None


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105  the scheme's name, not a secret
    expires_in_s: int
    role: Role
    subject: str
    scope: str | None = Field(None, description="A staff member's area scope")
    roles: list[GrantOut] = Field(description="Every role the account holds; sign in again "
                                  "with `role` to act as another")
    password_change_required: bool = Field(False, description="Signed in with a one-time "
                                           "password: only /auth/password and /me answer "
                                           "until it is changed (then refresh)")


class MeOut(BaseModel):
    role: Role
    subject: str
    name: str | None = None
    scope: str | None = None
    roles: list[GrantOut]
    password_change_required: bool = False


class StaffIn(In):
    staff_id: Identifier
    name: ShortText
    phone: MobilePhone
    scope: AreaCode


class StaffOut(BaseModel):
    staff_id: str
    one_time_password: str = Field(description="Shown once; the first sign-in must change it")


DeviceKey = Annotated[str, Field(min_length=20, max_length=100)]


class DeviceIn(In):
    kiosk_id: Identifier
    device_key: DeviceKey


class KioskIn(In):
    kiosk_id: Identifier
    name: ShortText
    area: AreaCode


class KioskOut(BaseModel):
    kiosk_id: str
    name: str
    area: str
    device_key: str = Field(description="Shown once: the kiosk signs in with it "
                            "(POST /api/v1/auth/device); register the kiosk again to replace it")
